/* The field diary's outbox (issue 16): an entry typed without a signal is kept on the phone with
   the idempotency key the page gave it and its photos, shown as "waiting to send", and sent when
   the network is back. The server makes one row per key, so a resend after a lost answer (or from
   a second tab) never makes a second entry.

   The outbox is IndexedDB, which keeps the photos as they were chosen (Blobs); where IndexedDB
   cannot be opened (some private modes) it falls back to localStorage and keeps the text only.
   Entries an earlier version left in localStorage are moved over on first load.
   No dependencies, no inline code (the CSP forbids it). */
(function () {
  "use strict";
  var form = document.getElementById("diary-form");
  if (!form) { return; }
  var LEGACY = "linli.grid.outbox.v1";
  var box = document.getElementById("outbox");
  var list = document.getElementById("outbox-list");
  var status = document.getElementById("outbox-status");
  var sending = false;

  // --- The store: IndexedDB ("linli-grid" / "outbox", one record per idempotency key) -------

  var dbPromise = new Promise(function (resolve) {
    if (!window.indexedDB) { resolve(null); return; }
    var request;
    try { request = indexedDB.open("linli-grid", 1); } catch (e) { resolve(null); return; }
    request.onupgradeneeded = function () { request.result.createObjectStore("outbox", {keyPath: "key"}); };
    request.onsuccess = function () { resolve(request.result); };
    request.onerror = function () { resolve(null); };
  }).then(function (db) { return migrate(db).then(function () { return db; }); });

  function legacyItems() {
    try { return JSON.parse(localStorage.getItem(LEGACY) || "[]"); } catch (e) { return []; }
  }

  function tx(db, mode, work) {
    return new Promise(function (resolve, reject) {
      var t = db.transaction("outbox", mode);
      var result = work(t.objectStore("outbox"));
      t.oncomplete = function () { resolve(result && result.result); };
      t.onerror = t.onabort = function () { reject(t.error); };
    });
  }

  function migrate(db) {
    var old = legacyItems();
    if (!db || !old.length) { return Promise.resolve(); }
    return tx(db, "readwrite", function (store) {
      old.forEach(function (item) {
        store.put({key: item.fields.idempotency_key, fields: item.fields, photos: [], savedAt: item.savedAt,
                   error: item.error || ""});
      });
    }).then(function () { localStorage.removeItem(LEGACY); });
  }

  function load() {
    return dbPromise.then(function (db) {
      if (!db) {
        return legacyItems().map(function (item) {
          return {key: item.fields.idempotency_key, fields: item.fields, photos: [], savedAt: item.savedAt,
                  error: item.error || ""};
        });
      }
      return tx(db, "readonly", function (store) { return store.getAll(); }).then(function (items) {
        return (items || []).sort(function (a, b) { return a.savedAt < b.savedAt ? -1 : 1; });
      });
    });
  }

  function put(item) {
    return dbPromise.then(function (db) {
      if (db) { return tx(db, "readwrite", function (store) { store.put(item); }); }
      var items = legacyItems().filter(function (x) { return x.fields.idempotency_key !== item.key; });
      items.push({fields: item.fields, savedAt: item.savedAt, error: item.error});
      localStorage.setItem(LEGACY, JSON.stringify(items));
    });
  }

  function remove(key) {
    return dbPromise.then(function (db) {
      if (db) { return tx(db, "readwrite", function (store) { store["delete"](key); }); }
      var items = legacyItems().filter(function (x) { return x.fields.idempotency_key !== key; });
      localStorage.setItem(LEGACY, JSON.stringify(items));
    });
  }

  // --- The page ------------------------------------------------------------------------------

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
    return load().then(function (items) {
      box.hidden = items.length === 0;
      list.textContent = "";
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.className = "outbox-item border-bottom py-1";
        li.dataset.key = item.key;
        li.dataset.photos = String(item.photos.length);
        var when = (item.fields.happened_at || "").replace("T", " ");
        li.textContent = when + " · " + optionText("kind", item.fields.kind) +
          (item.fields.people ? " · " + item.fields.people : "") +
          (item.photos.length ? " · " + (box.dataset.photos || "").replace("__N__", item.photos.length) : "");
        var note = document.createElement("div");
        note.className = "small " + (item.error ? "text-danger" : "text-body-secondary");
        note.textContent = item.error || box.dataset.waiting || "";
        li.appendChild(note);
        list.appendChild(li);
      });
    });
  }

  // The text fields and the chosen photos of the form, as the outbox keeps them.
  function entryOf(data) {
    var fields = {};
    var photos = [];
    data.forEach(function (value, name) {
      if (typeof value === "string") {
        if (name !== "csrfmiddlewaretoken") { fields[name] = value; }
      } else if (name === "photos" && value.size) {
        photos.push({name: value.name, type: value.type, blob: value});
      }
    });
    return {key: fields.idempotency_key, fields: fields, photos: photos, savedAt: new Date().toISOString(), error: ""};
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

  // Send what waits, oldest first, each with its photos; stop at the first network failure.
  function flush() {
    if (sending) { return Promise.resolve(0); }
    sending = true;
    var sent = 0;
    return load().then(function (items) {
      function next(i) {
        if (i >= items.length) { return Promise.resolve(); }
        var item = items[i];
        if (item.error) { return next(i + 1); }
        var data = new FormData();
        Object.keys(item.fields).forEach(function (k) { data.append(k, item.fields[k]); });
        item.photos.forEach(function (p) { data.append("photos", p.blob, p.name); });
        return post(data).then(function (response) {
          if (response.ok) {
            sent++;
            return remove(item.key);
          }
          if (response.status === 400) {
            return response.json().then(function (body) {
              item.error = describe(body.errors || {});
              return put(item);
            });
          }
          throw new Error("HTTP " + response.status);
        }).then(function () { return next(i + 1); });
      }
      return next(0);
    }).catch(function () { return null; }).then(function () {
      sending = false;
      return render();
    }).then(function () {
      if (sent) { window.location.reload(); }
      return sent;
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var data = new FormData(form);
    var entry = entryOf(data);
    var keep = function () {
      var grid = form.elements.grid ? form.elements.grid.value : "";
      return put(entry).then(function () {
        form.reset();
        form.elements.idempotency_key.value = newKey();
        form.elements.happened_at.value = localNow();
        if (form.elements.grid) { form.elements.grid.value = grid; }
        return render();
      });
    };
    if (!navigator.onLine) { keep(); return; }
    post(data).then(function (response) {
      if (response.ok) { window.location.assign(window.location.pathname); return; }
      if (response.status === 400) { form.submit(); return; }  // the page shows the errors
      keep();
    }).catch(keep);
  });

  box.dataset.waiting = status.dataset.waiting || "";
  box.dataset.photos = status.dataset.photos || "";
  window.addEventListener("online", flush);
  window.setInterval(function () { if (navigator.onLine) { flush(); } }, 30000);
  render().then(function () { if (navigator.onLine) { flush(); } });
})();
