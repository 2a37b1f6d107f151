/* The field diary's outbox (issue 16): an entry typed without a signal is kept on the phone
   (localStorage) with the idempotency key the page gave it, shown as "waiting to send", and sent
   when the network is back. The server makes one row per key, so a resend after a lost answer
   (or from a second tab) never makes a second entry. Photos are sent only with a signal: the
   outbox keeps the text. No dependencies, no inline code (the CSP forbids it). */
(function () {
  "use strict";
  var form = document.getElementById("diary-form");
  if (!form) { return; }
  var STORE = "linli.grid.outbox.v1";
  var box = document.getElementById("outbox");
  var list = document.getElementById("outbox-list");
  var status = document.getElementById("outbox-status");
  var sending = false;

  function load() {
    try { return JSON.parse(localStorage.getItem(STORE) || "[]"); } catch (e) { return []; }
  }
  function save(items) { localStorage.setItem(STORE, JSON.stringify(items)); }

  function newKey() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function localNow() {
    var d = new Date();
    d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
    return d.toISOString().slice(0, 16);
  }

  function optionText(name, value) {
    var select = form.elements[name];
    if (!select || !select.options) { return value; }
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === value) { return select.options[i].text; }
    }
    return value;
  }

  function render() {
    var items = load();
    box.hidden = items.length === 0;
    list.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.className = "outbox-item border-bottom py-1";
      li.dataset.key = item.fields.idempotency_key;
      var when = (item.fields.happened_at || "").replace("T", " ");
      li.textContent = when + " · " + optionText("kind", item.fields.kind) +
        (item.fields.people ? " · " + item.fields.people : "");
      var note = document.createElement("div");
      note.className = "small " + (item.error ? "text-danger" : "text-body-secondary");
      note.textContent = item.error || box.dataset.waiting || "";
      li.appendChild(note);
      list.appendChild(li);
    });
  }

  function fieldsOf(data) {
    var fields = {};
    data.forEach(function (value, name) {
      if (typeof value === "string" && name !== "csrfmiddlewaretoken") { fields[name] = value; }
    });
    return fields;
  }

  function post(data) {
    data.set("csrfmiddlewaretoken", form.elements.csrfmiddlewaretoken.value);
    // getAttribute: the form field named "action" shadows form.action.
    return fetch(form.getAttribute("action"), {
      method: "POST", body: data, credentials: "same-origin", headers: {"X-Linli-Outbox": "1"}
    });
  }

  function describe(errors) {
    return Object.keys(errors).map(function (k) { return errors[k].join(" "); }).join(" ");
  }

  // Send what waits, oldest first; stop at the first network failure.
  function flush() {
    var items = load();
    if (sending || !items.length) { return Promise.resolve(0); }
    sending = true;
    var sent = 0;
    function next(i) {
      if (i >= items.length) { return Promise.resolve(); }
      var item = items[i];
      if (item.error) { return next(i + 1); }
      var data = new FormData();
      Object.keys(item.fields).forEach(function (k) { data.append(k, item.fields[k]); });
      return post(data).then(function (response) {
        if (response.ok) {
          sent++;
          save(load().filter(function (x) { return x.fields.idempotency_key !== item.fields.idempotency_key; }));
        } else if (response.status === 400) {
          return response.json().then(function (body) {
            var kept = load();
            kept.forEach(function (x) {
              if (x.fields.idempotency_key === item.fields.idempotency_key) { x.error = describe(body.errors || {}); }
            });
            save(kept);
          });
        } else {
          throw new Error("HTTP " + response.status);
        }
      }).then(function () { return next(i + 1); });
    }
    return next(0).catch(function () { return null; }).then(function () {
      sending = false;
      render();
      if (sent) { window.location.reload(); }
      return sent;
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var data = new FormData(form);
    var fields = fieldsOf(data);
    var keep = function () {
      var items = load();
      if (!items.some(function (x) { return x.fields.idempotency_key === fields.idempotency_key; })) {
        items.push({fields: fields, savedAt: new Date().toISOString()});
        save(items);
      }
      var grid = form.elements.grid ? form.elements.grid.value : "";
      form.reset();
      form.elements.idempotency_key.value = newKey();
      form.elements.happened_at.value = localNow();
      if (form.elements.grid) { form.elements.grid.value = grid; }
      render();
    };
    if (!navigator.onLine) { keep(); return; }
    post(data).then(function (response) {
      if (response.ok) { window.location.assign(window.location.pathname); return; }
      if (response.status === 400) { form.submit(); return; }  // the page shows the errors
      keep();
    }).catch(keep);
  });

  box.dataset.waiting = status.dataset.waiting || "";
  window.addEventListener("online", flush);
  window.setInterval(function () { if (navigator.onLine) { flush(); } }, 30000);
  render();
  if (navigator.onLine) { flush(); }
})();
