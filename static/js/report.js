/* The report form, enhanced: a pin to drop and drag, "use my location", categories served at the
   pin, "is it one of these?", and photos sent as soon as they are chosen. Without this script the
   form still works: the place by neighbourhood and address, photos sent with the form. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) return;
  var words = document.getElementById("photo-strings").dataset;
  var map = window[form.dataset.map];
  var lat = form.querySelector("input[name=lat]");
  var lon = form.querySelector("input[name=lon]");
  var category = form.querySelector("select[name=category]");
  var status = document.getElementById("place-status");
  var nearby = document.getElementById("nearby");
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var marker = null;
  var photoPlace = null;

  document.documentElement.classList.add("js");

  function setPin(latlng, zoom) {
    lat.value = latlng.lat.toFixed(6);
    lon.value = latlng.lng.toFixed(6);
    if (!marker) {
      marker = L.marker(latlng, {draggable: true, keyboard: true, title: words.pin}).addTo(map);
      marker.on("dragend", function () { setPin(marker.getLatLng()); });
    } else {
      marker.setLatLng(latlng);
    }
    if (zoom) map.setView(latlng, zoom);
    refresh();
  }

  var asked = 0;  /* answers come back in any order: only the last question's is used */

  function refresh() {
    if (!lat.value || !lon.value) return;
    var question = ++asked;
    var url = form.dataset.placeUrl + "?lat=" + encodeURIComponent(lat.value) + "&lon=" +
      encodeURIComponent(lon.value) + "&category=" + encodeURIComponent(category.value);
    fetch(url, {headers: {"Accept": "application/json"}}).then(function (r) { return r.json(); })
      .then(function (place) {
        if (question !== asked) return;
        status.textContent = place.inside
          ? words.pin + (place.neighbourhood ? " " + words["in"] + " " + place.neighbourhood : "")
          : place.message;
        status.classList.toggle("errors", !place.inside);
        /* Outside the city nothing is served: the list stays as it was, for when the pin comes back. */
        if (place.inside) offer(place.categories);
        nearby.innerHTML = place.nearby_html || "";
      })
      .catch(function () { /* offline: the server checks everything again when the form is sent */ });
  }

  var categoryNote = document.getElementById("category-note");

  /* The categories served at the pin; the one chosen stays chosen when it is served here too, and
     when it is not, the page says so rather than dropping it without a word. */
  function offer(categories) {
    var chosen = category.value;
    var chosenName = chosen && category.selectedOptions[0] ? category.selectedOptions[0].textContent : "";
    var served = !chosen || categories.some(function (c) { return String(c.id) === chosen; });
    categoryNote.textContent = served ? "" : words.notHere.replace("__category__", chosenName);
    categoryNote.hidden = served;
    var groups = {};
    category.innerHTML = "";
    var none = document.createElement("option");
    none.value = ""; none.textContent = words.choose;
    category.appendChild(none);
    categories.forEach(function (c) {
      var parent = category;
      if (c.group) {
        if (!groups[c.group]) {
          groups[c.group] = document.createElement("optgroup");
          groups[c.group].label = c.group;
          category.appendChild(groups[c.group]);
        }
        parent = groups[c.group];
      }
      var option = document.createElement("option");
      option.value = String(c.id); option.textContent = c.name;
      if (String(c.id) === chosen) option.selected = true;
      parent.appendChild(option);
    });
    showQuestions();
  }

  function showQuestions() {
    form.querySelectorAll(".questions").forEach(function (box) {
      var on = box.dataset.category === category.value;
      box.hidden = !on;
      box.querySelectorAll("input, select, textarea").forEach(function (el) { el.disabled = !on; });
    });
  }

  category.addEventListener("change", function () { categoryNote.hidden = true; showQuestions(); refresh(); });

  /* A place chosen in the address search (address.js) puts the pin there. */
  form.addEventListener("seeclick:place", function (e) {
    if (map) setPin(L.latLng(e.detail.lat, e.detail.lon), e.detail.zoom);
  });

  if (map) {
    map.on("click", function (e) { setPin(e.latlng); });
    if (lat.value && lon.value) setPin(L.latLng(parseFloat(lat.value), parseFloat(lon.value)));
  }

  document.getElementById("locate").addEventListener("click", function () {
    if (!navigator.geolocation) { status.textContent = words.noLocation; return; }
    status.textContent = words.locating;
    navigator.geolocation.getCurrentPosition(function (position) {
      setPin(L.latLng(position.coords.latitude, position.coords.longitude), 17);
    }, function () { status.textContent = words.noLocation; }, {enableHighAccuracy: true, timeout: 15000});
  });

  /* Photos: each is sent as soon as it is chosen, so a retry of the form never sends it again. */
  var input = form.querySelector("input[type=file][name=photos]");
  var list = document.getElementById("photo-list");
  var max = parseInt(form.dataset.maxPhotos, 10);
  var send = document.getElementById("send");
  var pending = 0;

  function photoError(message) {
    var field = input.closest(".field");
    var box = field.querySelector(".errors");
    if (!box) { box = document.createElement("ul"); box.className = "errors"; box.id = "photos-errors"; field.appendChild(box); }
    box.innerHTML = "";
    if (message) { var li = document.createElement("li"); li.textContent = message; box.appendChild(li); }
  }

  /* Each photo's item keeps its file (item.photo): a draft saved offline keeps the files themselves,
     since a staged photo's token lasts a day and a draft may wait longer. */
  function shown(item, file, extra) {
    item.textContent = "";
    item.photo = file;
    var img = document.createElement("img");
    img.src = URL.createObjectURL(file); img.alt = ""; img.width = 96; img.height = 96;
    var remove = document.createElement("button");
    remove.type = "button"; remove.className = "link-button"; remove.textContent = words.remove + " " + file.name;
    remove.addEventListener("click", function () { item.remove(); });
    item.appendChild(img);
    if (extra) item.appendChild(extra);
    item.appendChild(remove);
  }

  function keepOnPhone(item, file) {
    var note = document.createElement("span");
    note.className = "hint"; note.textContent = draftWords.kept || "";
    shown(item, file, note);
    item.classList.add("kept");
  }

  function addPhoto(file) {
    if (list.querySelectorAll("li").length >= max) { photoError(words.tooMany); return; }
    var item = document.createElement("li");
    item.textContent = words.uploading;
    list.appendChild(item);
    if (!navigator.onLine) { keepOnPhone(item, file); return; }
    pending += 1;
    var body = new FormData();
    body.append("photo", file);
    fetch(form.dataset.photoUrl, {method: "POST", body: body, headers: {"X-CSRFToken": csrf, "Accept": "application/json"}})
      .then(function (r) { return r.json().then(function (data) { return {ok: r.ok, data: data}; }); }, function () {
        return {offline: true};
      })
      .then(function (answer) {
        if (answer.offline) { keepOnPhone(item, file); return; }
        if (!answer.ok) { item.remove(); photoError(answer.data.description || answer.data.error || words.failed); return; }
        var token = document.createElement("input");
        token.type = "hidden"; token.name = "photo_token"; token.value = answer.data.token;
        shown(item, file, token);
        if (answer.data.gps && !lat.value) {
          photoPlace = answer.data.gps;
          document.getElementById("photo-place").hidden = false;
        }
      })
      .catch(function () { item.remove(); photoError(words.failed); })
      .then(function () { pending -= 1; });
  }

  input.addEventListener("change", function () {
    photoError("");
    Array.prototype.forEach.call(input.files, addPhoto);
    input.value = "";  /* sent already (or kept): not again with the form */
  });

  document.getElementById("use-photo-place").addEventListener("click", function () {
    if (photoPlace) setPin(L.latLng(photoPlace.lat, photoPlace.lon), 17);
    document.getElementById("photo-place").hidden = true;
  });

  form.addEventListener("submit", function (e) {
    var submitter = e.submitter;
    if (submitter && submitter.value === "send") {
      if (send.disabled) { e.preventDefault(); return; }
      if (!navigator.onLine && offline) { e.preventDefault(); keepDraft(); return; }
      send.disabled = true;  /* a double tap sends once (and the server makes one report anyway) */
      var step = document.createElement("input");
      step.type = "hidden"; step.name = "step"; step.value = "send";
      form.appendChild(step);
      send.textContent = words.sending;
      withKeptPhotos();
      if (fixing) {  /* the saved draft goes as this form now: the page answers for it from here */
        e.preventDefault();
        seeclickDrafts.remove(fixing).then(function () { form.submit(); }, function () { form.submit(); });
      }
    }
  });

  /* Photos kept on the phone go with the form itself (the form's own upload, as without script). */
  function withKeptPhotos() {
    var kept = [];
    list.querySelectorAll("li.kept").forEach(function (item) { kept.push(item.photo); });
    if (!kept.length || typeof DataTransfer !== "function") return;
    var files = new DataTransfer();
    kept.forEach(function (file) { files.items.add(file); });
    input.files = files.files;
  }

  /* Offline: the drafts kept on this phone, sent when the connection returns. */
  var draftWords = (document.getElementById("draft-strings") || {dataset: {}}).dataset;
  var drafts = document.getElementById("drafts");
  var key = form.querySelector("input[name=submission_key]");
  var urls = {form: form.getAttribute("action") || location.pathname, token: form.dataset.tokenUrl};
  var fixing = null;  /* the key of a draft opened in the form to fix */
  var told = {};  /* the drafts this page has said were sent */
  var offline = window.seeclickDrafts && window.indexedDB && drafts;  /* not on a call taker's form */

  function newKey() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function keepDraft() {
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string" && ["csrf_token", "step", "photo_token"].indexOf(name) < 0) fields.push([name, value]);
    });
    var photos = [];
    list.querySelectorAll("li").forEach(function (item) { if (item.photo) photos.push({name: item.photo.name, blob: item.photo}); });
    var chosen = category.selectedOptions[0];
    var draft = {key: key.value, fields: fields, photos: photos, savedAt: Date.now(), state: "waiting",
                 summary: chosen && chosen.value ? chosen.textContent : ""};
    seeclickDrafts.save(draft).then(function () {
      fixing = null;
      form.reset();
      list.innerHTML = "";
      lat.value = ""; lon.value = "";
      if (marker) { marker.remove(); marker = null; }
      status.textContent = "";
      showQuestions();
      key.value = newKey();  /* the next report is a report of its own */
      if (navigator.serviceWorker && navigator.serviceWorker.ready) {
        navigator.serviceWorker.ready.then(function (r) { if (r.sync) return r.sync.register(seeclickDrafts.LOCK); })
          .catch(function () {});
      }
      return showDrafts();
    }).then(function () { drafts.focus(); drafts.scrollIntoView({block: "start"}); });
  }

  function text(tag, content, className) {
    var el = document.createElement(tag);
    el.textContent = content;
    if (className) el.className = className;
    return el;
  }

  function showDrafts() {
    return seeclickDrafts.all().then(function (all) {
      drafts.innerHTML = "";
      all = all.filter(function (d) { return !told[d.key]; }).concat(Object.keys(told).map(function (k) { return told[k]; }));
      all.forEach(function (draft) {
        var box = document.createElement("div");
        box.className = "draft draft-" + draft.state;
        if (draft.state === "waiting") {
          box.appendChild(text("p", draftWords.waiting));
          var what = [draft.summary, draft.photos.length === 1 ? draftWords.photo
            : draft.photos.length ? draftWords.photos.replace("__n__", draft.photos.length) : ""]
            .filter(Boolean).join(", ");
          if (what) box.appendChild(text("p", what, "hint"));
        } else if (draft.state === "sent") {
          var parts = draftWords.sent.split("__number__");
          var said = text("p", parts[0]);
          said.appendChild(text("strong", "#" + draft.publicId, "tracking"));
          said.appendChild(document.createTextNode(parts[1] || ""));
          box.appendChild(said);
          var link = text("a", draftWords.see);
          link.href = draft.url;
          box.appendChild(link);
          if (!told[draft.key]) seeclickDrafts.remove(draft.key);  /* told once, on this page; the receipt says the rest */
          told[draft.key] = draft;
        } else {
          box.appendChild(text("p", draftWords.fixing));
          var problems = document.createElement("ul");
          problems.className = "errors";
          Object.keys(draft.errors || {}).forEach(function (field) { problems.appendChild(text("li", draft.errors[field])); });
          box.appendChild(problems);
          var open = text("button", draftWords.fix, "button secondary");
          open.type = "button";
          open.addEventListener("click", function () { openDraft(draft); });
          var discard = text("button", draftWords.discard, "link-button");
          discard.type = "button";
          discard.addEventListener("click", function () { seeclickDrafts.remove(draft.key).then(showDrafts); });
          box.appendChild(open); box.appendChild(discard);
        }
        drafts.appendChild(box);
      });
    });
  }

  /* A draft the server could not accept, back in the form with its photos, to fix and send. */
  function openDraft(draft) {
    form.reset();
    list.innerHTML = "";
    var values = {};
    draft.fields.forEach(function (pair) { (values[pair[0]] = values[pair[0]] || []).push(pair[1]); });
    category.value = (values.category || [""])[0];
    showQuestions();
    Object.keys(values).forEach(function (name) {
      form.querySelectorAll("[name='" + name.replace(/'/g, "") + "']").forEach(function (el) {
        if (el.type === "checkbox") el.checked = values[name].indexOf(el.value) >= 0;
        else if (el.type !== "file" && !el.disabled) el.value = values[name][0];
      });
    });
    draft.photos.forEach(function (photo) {
      addPhoto(new File([photo.blob], photo.name, {type: photo.blob.type}));
    });
    if (lat.value && lon.value && map) setPin(L.latLng(parseFloat(lat.value), parseFloat(lon.value)), 17);
    var details = form.querySelector("details.without-map");
    if (values.neighbourhood && values.neighbourhood[0] && !lat.value) details.open = true;
    fixing = draft.key;
    status.textContent = draftWords.opened;
    form.querySelector("#location").focus();
  }

  function sendDrafts() {
    if (!navigator.onLine) return;
    seeclickDrafts.sendAll(urls).then(showDrafts, function () {});
  }

  if (offline) {
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register(form.dataset.worker).catch(function () {});
      navigator.serviceWorker.ready.then(function (registration) {
        /* the files this page needs, for the worker to keep; then it opens offline */
        var files = performance.getEntriesByType("resource").map(function (r) { return r.name; })
          .filter(function (url) { return url.indexOf(location.origin + "/static/") === 0; });
        files.forEach(function (url) {
          if (/leaflet\.css$/.test(url)) {
            ["marker-icon.png", "marker-icon-2x.png", "marker-shadow.png"].forEach(function (name) {
              files.push(url.replace(/leaflet\.css$/, "images/" + name));
            });
          }
        });
        var reply = new MessageChannel();
        reply.port1.onmessage = function (e) { if (e.data.kept) document.documentElement.dataset.offline = "ready"; };
        (registration.active || navigator.serviceWorker.controller).postMessage({keep: files}, [reply.port2]);
      });
    }
    seeclickDrafts.all().then(function (all) {
      /* The page kept offline carries the key of the report last made from it: never reuse a draft's. */
      if (!navigator.onLine || all.some(function (d) { return d.key === key.value; })) key.value = newKey();
    }).then(showDrafts).then(sendDrafts);
    if (seeclickDrafts.channel) seeclickDrafts.channel.onmessage = showDrafts;
    window.addEventListener("online", sendDrafts);
    setInterval(sendDrafts, 30000);
  }

  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
