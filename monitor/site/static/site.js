// Sorting and filtering for the site's tables: an enhancement only. Without JavaScript every
// table is complete, in the report's printed order. Written for this site (no library).
(function () {
  "use strict";

  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) return "";
    return cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
  }

  function isNumeric(rows, index) {
    return rows.every(function (row) {
      var value = cellValue(row, index);
      return value === "" || !isNaN(Number(value));
    });
  }

  function sortBy(table, header, index) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    var numeric = isNumeric(rows, index);
    rows.sort(function (a, b) {
      var x = cellValue(a, index), y = cellValue(b, index);
      var order = numeric ? Number(x) - Number(y) : x.localeCompare(y, undefined, { numeric: true });
      return ascending ? order : -order;
    });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    rows.forEach(function (row) { body.appendChild(row); });
  }

  function makeSortable(table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, index) {
      var button = document.createElement("button");
      button.type = "button";
      while (header.firstChild) button.appendChild(header.firstChild);
      header.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, header, index); });
    });
  }

  function makeFilterable(table) {
    var label = document.createElement("label");
    label.className = "filter";
    var input = document.createElement("input");
    input.type = "search";
    input.placeholder = "type to keep matching rows";
    var status = document.createElement("span");
    status.setAttribute("aria-live", "polite");
    label.appendChild(document.createTextNode("Filter rows: "));
    label.appendChild(input);
    label.appendChild(document.createTextNode(" "));
    label.appendChild(status);
    table.parentNode.insertBefore(label, table);
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    input.addEventListener("input", function () {
      var needle = input.value.trim().toLowerCase();
      var shown = 0;
      rows.forEach(function (row) {
        var match = !needle || row.textContent.toLowerCase().indexOf(needle) !== -1;
        row.hidden = !match;
        if (match) shown += 1;
      });
      status.textContent = needle ? shown + " of " + rows.length + " rows" : "";
    });
  }

  document.querySelectorAll("table[data-sortable]").forEach(makeSortable);
  document.querySelectorAll("table[data-filterable]").forEach(makeFilterable);
})();
