from ddor.cli import main

main()
