// Our script on every admin page (templates/admin/base_site.html); no inline script (the CSP).
// A select with data-filter-by="id_x" lists only the options whose data-community matches the value
// chosen in #id_x: the estates of the chosen community. The server refuses a wrong pair all the
// same, so the forms work without this script.
(function () {
  "use strict";
  function narrow(select, by) {
    var chosen = by.value;
    Array.prototype.forEach.call(select.options, function (option) {
      var community = option.getAttribute("data-community");
      if (community === null) return; // the empty choice stays
      var shown = chosen === "" || community === chosen;
      option.hidden = !shown;
      option.disabled = !shown;
      if (!shown && option.selected) select.value = "";
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-filter-by]").forEach(function (select) {
      var by = document.getElementById(select.getAttribute("data-filter-by"));
      if (!by) return;
      narrow(select, by);
      by.addEventListener("change", function () { narrow(select, by); });
    });
  });
})();
