/* Drafts of reports kept on the phone (IndexedDB) while there is no connection, and sent when it
   returns. Read by the report form's page (static/js/report.js) and by the service worker
   (static/js/offline.js), which may both send: a lock (Web Locks) lets one of them at a time, and
   each draft carries its form's submission key, so a draft sent twice still makes one report.

   A draft: {key, fields: [[name, value], ...], photos: [{name, blob}], summary, savedAt,
   state: "waiting" | "fixing" | "sent", errors (by field, when fixing), publicId, url (when sent)}. */
(function (scope) {
  "use strict";
  var DB = "seeclick-drafts", STORE = "drafts", LOCK = "seeclick-drafts";
  var channel = typeof BroadcastChannel === "function" ? new BroadcastChannel(LOCK) : null;

  function open() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE, {keyPath: "key"}); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function transact(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode), result;
        var store = tx.objectStore(STORE);
        var request = work(store);
        if (request) request.onsuccess = function () { result = request.result; };
        tx.oncomplete = function () { db.close(); resolve(result); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function changed() { if (channel) channel.postMessage("changed"); }

  function all() {
    return transact("readonly", function (store) { return store.getAll(); }).then(function (drafts) {
      return (drafts || []).sort(function (a, b) { return a.savedAt - b.savedAt; });
    });
  }

  function get(key) { return transact("readonly", function (store) { return store.get(key); }); }

  function save(draft) {
    return transact("readwrite", function (store) { store.put(draft); }).then(changed);
  }

  function remove(key) {
    return transact("readwrite", function (store) { store["delete"](key); }).then(changed);
  }

  function locked(work) {
    if (scope.navigator && scope.navigator.locks) return scope.navigator.locks.request(LOCK, work);
    return work();
  }

  function json(response) { return response.json(); }

  /* Send one draft: a fresh form token first (the page it was written on may be hours old, or from
     another session), then the form as multipart with its photos. Resolves to the draft as it now
     is, or null when it must wait (no connection, the server away, too many reports). */
  function sendOne(draft, urls, attempt) {
    return fetch(urls.token, {credentials: "same-origin", cache: "no-store", headers: {"Accept": "application/json"}})
      .then(function (r) { if (!r.ok) throw new Error("token " + r.status); return r.json(); })
      .then(function (token) {
        var body = new FormData();
        body.append("csrf_token", token.csrf_token);
        draft.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
        body.append("step", "send");
        (draft.photos || []).forEach(function (photo) { body.append("photos", photo.blob, photo.name); });
        return fetch(urls.form, {method: "POST", body: body, credentials: "same-origin",
                                 headers: {"Accept": "application/json"}});
      })
      .then(function (r) {
        if (r.status === 201) {
          return json(r).then(function (made) {
            draft.state = "sent"; draft.publicId = made.public_id; draft.url = made.url;
            draft.photos = []; draft.fields = [];  // nothing personal kept once it has left
            return draft;
          });
        }
        if (r.status === 422) {
          return json(r).then(function (answer) {
            if (answer.expired && !attempt) return sendOne(draft, urls, 1);
            draft.state = "fixing"; draft.errors = answer.errors;
            if (answer.where) {
              draft.fields = draft.fields.filter(function (p) { return p[0] !== "lat" && p[0] !== "lon"; })
                .concat([["lat", String(answer.where.lat)], ["lon", String(answer.where.lon)]]);
            }
            return draft;
          });
        }
        return null;
      });
  }

  /* Send every draft waiting, one sender at a time across tabs and the worker. Resolves to how many left. */
  function sendAll(urls) {
    return locked(function () {
      return all().then(function (drafts) {
        var waiting = drafts.filter(function (d) { return d.state === "waiting"; });
        var left = waiting.length;
        return waiting.reduce(function (chain, draft) {
          return chain.then(function (stop) {
            if (stop) return true;
            return get(draft.key).then(function (current) {  // another sender may have sent it meanwhile
              if (!current || current.state !== "waiting") { left -= 1; return false; }
              return sendOne(current, urls, 0).then(function (now) {
                if (!now) return true;
                left -= 1;
                return save(now).then(function () { return false; });
              });
            });
          });
        }, Promise.resolve(false)).then(function () { return left; }, function () { return left; });
      });
    });
  }

  scope.seeclickDrafts = {all: all, get: get, save: save, remove: remove, sendAll: sendAll, channel: channel, LOCK: LOCK};
})(self);
