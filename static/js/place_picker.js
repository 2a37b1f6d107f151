// Community → grid → estate: show only the grids and estates of the chosen community (and, once a
// grid is chosen, the estates of that grid). The server checks the same rules, so the form also
// works without this script.
(function () {
  "use strict";
  var data = document.getElementById("place-tree");
  var community = document.getElementById("id_community");
  var grid = document.getElementById("id_grid");
  var estate = document.getElementById("id_estate");
  if (!data || !community || !grid || !estate) return;
  var tree = JSON.parse(data.textContent);
  var gridParent = {}, estateOf = {};
  tree.grids.forEach(function (g) { gridParent[g.id] = g.parent; });
  tree.estates.forEach(function (e) { estateOf[e.id] = e; });

  function filter(select, keep) {
    Array.prototype.forEach.call(select.options, function (option) {
      if (!option.value) return; // the empty choice stays
      var shown = keep(Number(option.value));
      option.hidden = !shown;
      option.disabled = !shown;
      if (!shown && option.selected) select.value = "";
    });
  }

  function update() {
    var c = Number(community.value) || null;
    var g = Number(grid.value) || null;
    filter(grid, function (id) { return c !== null && gridParent[id] === c; });
    if (g !== null && grid.value === "") g = null;
    filter(estate, function (id) {
      var e = estateOf[id];
      return c !== null && e.community === c && (g === null || !e.grid || e.grid === g);
    });
    grid.disabled = c === null;
    estate.disabled = c === null;
  }

  community.addEventListener("change", update);
  grid.addEventListener("change", update);
  update();
})();
