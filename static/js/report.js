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

  function refresh() {
    if (!lat.value || !lon.value) return;
    var url = form.dataset.placeUrl + "?lat=" + encodeURIComponent(lat.value) + "&lon=" +
      encodeURIComponent(lon.value) + "&category=" + encodeURIComponent(category.value);
    fetch(url, {headers: {"Accept": "application/json"}}).then(function (r) { return r.json(); })
      .then(function (place) {
        status.textContent = place.inside
          ? words.pin + (place.neighbourhood ? " " + words["in"] + " " + place.neighbourhood : "")
          : place.message;
        status.classList.toggle("errors", !place.inside);
        offer(place.categories);
        nearby.innerHTML = place.nearby_html || "";
      })
      .catch(function () { /* offline: the server checks everything again when the form is sent */ });
  }

  function offer(categories) {
    var chosen = category.value;
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

  category.addEventListener("change", function () { showQuestions(); refresh(); });

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

  input.addEventListener("change", function () {
    photoError("");
    Array.prototype.forEach.call(input.files, function (file) {
      if (list.querySelectorAll("input[name=photo_token]").length + pending >= max) { photoError(words.tooMany); return; }
      var item = document.createElement("li");
      item.textContent = words.uploading;
      list.appendChild(item);
      pending += 1;
      var body = new FormData();
      body.append("photo", file);
      fetch(form.dataset.photoUrl, {method: "POST", body: body, headers: {"X-CSRFToken": csrf, "Accept": "application/json"}})
        .then(function (r) { return r.json().then(function (data) { return {ok: r.ok, data: data}; }); })
        .then(function (answer) {
          if (!answer.ok) { item.remove(); photoError(answer.data.description || answer.data.error || words.failed); return; }
          item.textContent = "";
          var img = document.createElement("img");
          img.src = URL.createObjectURL(file); img.alt = ""; img.width = 96; img.height = 96;
          var token = document.createElement("input");
          token.type = "hidden"; token.name = "photo_token"; token.value = answer.data.token;
          var remove = document.createElement("button");
          remove.type = "button"; remove.className = "link-button"; remove.textContent = words.remove + " " + file.name;
          remove.addEventListener("click", function () { item.remove(); });
          item.appendChild(img); item.appendChild(token); item.appendChild(remove);
          if (answer.data.gps && !lat.value) {
            photoPlace = answer.data.gps;
            document.getElementById("photo-place").hidden = false;
          }
        })
        .catch(function () { item.remove(); photoError(words.failed); })
        .then(function () { pending -= 1; });
    });
    input.value = "";  /* sent already: not again with the form */
  });

  document.getElementById("use-photo-place").addEventListener("click", function () {
    if (photoPlace) setPin(L.latLng(photoPlace.lat, photoPlace.lon), 17);
    document.getElementById("photo-place").hidden = true;
  });

  form.addEventListener("submit", function (e) {
    var submitter = e.submitter;
    if (submitter && submitter.value === "send") {
      if (send.disabled) { e.preventDefault(); return; }
      send.disabled = true;  /* a double tap sends once (and the server makes one report anyway) */
      var step = document.createElement("input");
      step.type = "hidden"; step.name = "step"; step.value = "send";
      form.appendChild(step);
      send.textContent = words.sending;
    }
  });

  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
