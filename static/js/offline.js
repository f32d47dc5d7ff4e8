/* The service worker of the citizens' pages (served at /reports/offline.js, scope /reports/).

   - The report form opens without a connection once it has been visited: the page is taken from
     the network when there is one (and kept), else from what was kept; its scripts, styles and
     Leaflet's images are kept as the page names them (it sends their list once it is controlled).
   - A report sent while the connection fails on the way (the phone thinks it is online, the request
     never arrives) is kept as a draft, with its photos, and the form is shown again saying so.
   - Drafts are sent when the connection returns: by the page when it is open, and by a background
     sync where the browser has one (static/js/drafts.js).
   Nothing else is kept: no report page, nothing of staff's. */
"use strict";
importScripts("../static/js/drafts.js");

var CACHE = "seeclick-form-v1";
var SCOPE = new URL(self.registration.scope).pathname;  // /reports/
var FORM = SCOPE + "new";
var URLS = {form: FORM, token: SCOPE + "token"};
var STATIC = new URL("../static/", self.registration.scope).pathname;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return keepForm(cache); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== CACHE; }).map(function (n) { return caches["delete"](n); }));
  }).then(function () { return self.clients.claim(); }));
});

/* Only a form page anyone may see is kept (not one made for a signed-in person). */
function keepable(response) {
  return response.ok && response.headers.get("X-Offline-Copy") === "keep";
}

function keepForm(cache) {
  return fetch(FORM, {credentials: "same-origin"}).then(function (response) {
    if (keepable(response)) return cache.put(FORM, response);
  }).catch(function () { /* kept at the next visit */ });
}

/* The page says which of its files it needs: kept all at once, then it is told it works offline. */
self.addEventListener("message", function (event) {
  if (!event.data || event.data.keep === undefined) return;
  var wanted = event.data.keep.filter(function (url) { return new URL(url).pathname.indexOf(STATIC) === 0; });
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all([cache.addAll(wanted), cache.match(FORM).then(function (kept) { return kept || keepForm(cache); })]);
  }).then(function () { event.ports[0].postMessage({kept: true}); },
          function () { event.ports[0].postMessage({kept: false}); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === FORM && request.mode === "navigate") {
    event.respondWith(request.method === "POST" ? sendOrKeep(request) : formPage(request));
  } else if (request.method === "GET" && url.pathname.indexOf(STATIC) === 0) {
    event.respondWith(staticFile(request));
  }
});

function formPage(request) {
  return fetch(request).then(function (response) {
    if (keepable(response)) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(FORM, copy); });
    }
    return response;
  }, function () {
    return caches.match(FORM).then(function (kept) { return kept || Response.error(); });
  });
}

/* Kept files first (they only change with a release), brought up to date behind. */
function staticFile(request) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request).then(function (kept) {
      var fresh = fetch(request).then(function (response) {
        if (response.ok) cache.put(request, response.clone());
        return response;
      });
      if (kept) { fresh.catch(function () {}); return kept; }
      return fresh;
    });
  });
}

/* The form sent the ordinary way; when it cannot reach the server, it is kept as a draft. */
function sendOrKeep(request) {
  var copy = request.clone();
  return fetch(request).catch(function () {
    return copy.formData().then(function (data) {
      if (data.get("step") !== "send" || !data.get("submission_key")) return Response.error();
      var draft = {key: data.get("submission_key"), fields: [], photos: [], summary: "", savedAt: Date.now(),
                   state: "waiting"};
      data.forEach(function (value, name) {
        if (name === "csrf_token" || name === "step") return;
        if (typeof value === "string") draft.fields.push([name, value]);
        else if (value.size) draft.photos.push({name: value.name, blob: value});
      });
      return seeclickDrafts.save(draft).then(function () {
        if (self.registration.sync) self.registration.sync.register(seeclickDrafts.LOCK).catch(function () {});
        return Response.redirect(FORM + "?saved=" + encodeURIComponent(draft.key), 303);
      });
    });
  });
}

self.addEventListener("sync", function (event) {
  if (event.tag !== seeclickDrafts.LOCK) return;
  event.waitUntil(seeclickDrafts.sendAll(URLS).then(function (left) {
    if (left) throw new Error("drafts still waiting");  // the browser tries the sync again later
  }));
});
