// The open cases like the one being filed (issue 17): as the resident picks the estate, building and
// category, ask the server (disputes:case_related) and offer them, each with a button that joins
// it as a co-applicant (the join form is outside the filing form). Once the resident has seen the
// current offer, the server need not show it again before filing (related_seen). Without this
// script the server shows the same list after the first submit.
(function () {
  "use strict";
  var box = document.getElementById("related-cases");
  var list = document.getElementById("related-list");
  var seen = document.getElementById("related-seen");
  var estate = document.getElementById("id_estate");
  var building = document.getElementById("id_building");
  var category = document.getElementById("id_category");
  if (!box || !list || !seen || !estate || !category || !window.fetch) return;
  var anchor = document.getElementById("div_id_category");
  if (anchor && anchor.parentNode) anchor.parentNode.insertBefore(box, anchor.nextSibling);
  var asked = 0;

  function render(rows) {
    list.textContent = "";
    rows.forEach(function (row) {
      var li = document.createElement("li");
      li.className = "border-top py-2";
      var title = document.createElement("div");
      title.className = "fw-semibold";
      title.textContent = row.title;
      var meta = document.createElement("div");
      meta.className = "small text-body-secondary";
      meta.textContent = (row.place ? row.place + " · " : "") + row.meta;
      var join = document.createElement("button");
      join.type = "submit";
      join.className = "btn btn-outline-primary btn-sm mt-1";
      join.setAttribute("form", "join-form");
      join.setAttribute("formaction", row.join_url);
      join.textContent = box.dataset.join;
      li.appendChild(title);
      li.appendChild(meta);
      li.appendChild(join);
      list.appendChild(li);
    });
    box.hidden = rows.length === 0;
  }

  function update() {
    var mine = ++asked;
    seen.value = "";
    if (!estate.value || !category.value) { render([]); seen.value = "1"; return; }
    var query = new URLSearchParams({ estate: estate.value, category: category.value, building: building ? building.value : "" });
    fetch(box.dataset.url + "?" + query.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (data) {
        if (mine !== asked) return; // a newer choice is on its way
        render(data.cases || []);
        seen.value = "1";
      })
      .catch(function () { /* the server shows the offer after the first submit instead */ });
  }

  estate.addEventListener("change", update);
  category.addEventListener("change", update);
  if (building) building.addEventListener("change", update);
  update();
})();
