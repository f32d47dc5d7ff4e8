/* The address search box of a report form, as an ARIA 1.2 combobox: suggestions as you type, Up and
   Down to move through them, Enter to choose, Escape to close (and again to clear), the count and the
   choice announced. Choosing a place fills the pin (report.js listens for "seeclick:place") and the
   address. Without this script the box is a plain search with its own button (addresses/_search.html). */
(function () {
  "use strict";
  var box = document.getElementById("address-search");
  if (!box) return;
  var form = box.closest("form");
  var input = document.getElementById("address-query");
  var list = document.getElementById("address-options");
  var status = document.getElementById("address-status");
  var find = document.getElementById("address-find");
  var approximate = box.querySelector("input[name=approximate]");
  var words = box.dataset;
  var options = [];
  var active = -1;
  var timer = null;
  var asked = 0;
  var placed = null;

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", list.id);
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", box.querySelector("label").textContent);
  /* The button searches here and now instead of sending the form (so Enter in another field still sends). */
  find.type = "button";

  function say(message) {
    status.textContent = "";
    window.setTimeout(function () { status.textContent = message; }, 50);  /* read again even when the same */
  }

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function show(found) {
    options = found;
    list.innerHTML = "";
    active = -1;
    input.removeAttribute("aria-activedescendant");
    found.forEach(function (place, i) {
      var item = document.createElement("li");
      item.id = "address-option-" + i;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", "false");
      item.textContent = place.label;
      item.addEventListener("mousedown", function (e) { e.preventDefault(); });  /* keep the focus in the box */
      item.addEventListener("click", function () { choose(i); });
      list.appendChild(item);
    });
    list.hidden = found.length === 0;
    input.setAttribute("aria-expanded", found.length ? "true" : "false");
    if (!found.length) say(words.none);
    else if (found.length === 1) say(words.foundOne);
    else say(words.found.replace("%(count)s", String(found.length)));
  }

  /* explicit: the person asked (Enter, the Find button), so the city's outside geocoder may be asked too. */
  function search(explicit) {
    var query = input.value.trim();
    window.clearTimeout(timer);
    if (!query) { options = []; close(); return; }
    var mine = ++asked;
    fetch(box.dataset.suggestUrl + "?q=" + encodeURIComponent(query) + (explicit === true ? "&find=1" : ""),
          {headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (answer) { if (mine === asked) show(answer.suggestions || []); })
      .catch(function () { if (mine === asked) { close(); say(words.offline); } });
  }

  function highlight(i) {
    var items = list.querySelectorAll("[role=option]");
    if (!items.length) return;
    active = (i + items.length) % items.length;
    items.forEach(function (item, n) { item.setAttribute("aria-selected", n === active ? "true" : "false"); });
    input.setAttribute("aria-activedescendant", items[active].id);
    items[active].scrollIntoView({block: "nearest"});
  }

  function choose(i) {
    var place = options[i];
    if (!place) return;
    input.value = place.label;
    close();
    form.querySelector("input[name=lat]").value = place.lat.toFixed(6);
    form.querySelector("input[name=lon]").value = place.lon.toFixed(6);
    if (approximate) approximate.value = place.approximate ? "1" : "";
    var address = form.querySelector("input[name=address]");
    if (address && !place.approximate && (!address.value.trim() || address.value === (placed && placed.label))) {
      address.value = place.label;
    }
    placed = place;
    form.dispatchEvent(new CustomEvent("seeclick:place", {detail: {lat: place.lat, lon: place.lon,
                                                                   zoom: place.approximate ? 15 : 18}}));
    say(words.placed.replace("%(place)s", place.label));
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { search(false); }, 150);
  });

  input.addEventListener("keydown", function (e) {
    var open = !list.hidden;
    if (e.key === "ArrowDown") {
      e.preventDefault();
      if (!open) { if (options.length) { list.hidden = false; input.setAttribute("aria-expanded", "true"); highlight(0); } else search(false); }
      else highlight(active + 1);
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      if (open) highlight(active - 1);
    } else if (e.key === "Enter") {
      e.preventDefault();  /* Enter here never sends the report */
      if (open && active >= 0) choose(active);
      else search(true);
    } else if (e.key === "Escape") {
      if (open) { e.preventDefault(); close(); }
      else if (input.value) { e.preventDefault(); input.value = ""; options = []; }
    } else if (e.key === "Tab") {
      close();
    }
  });

  input.addEventListener("blur", function () { window.setTimeout(close, 150); });
  find.addEventListener("click", function () { input.focus(); search(true); });

  /* A pin moved after choosing a ZIP code or a neighbourhood is the exact spot: no longer approximate. */
  form.addEventListener("submit", function () {
    var lat = form.querySelector("input[name=lat]").value;
    var lon = form.querySelector("input[name=lon]").value;
    if (approximate && placed && (lat !== placed.lat.toFixed(6) || lon !== placed.lon.toFixed(6))) approximate.value = "";
  });
})();
