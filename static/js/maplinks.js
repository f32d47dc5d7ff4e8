/* Popups that link each circle of a map to its page, and its colour (overdue or not): the staff queue's
   tickets (static/js/tickets.js) and a neighbourhood's open reports. Each circle is named on hover, and a tap or click opens a popup
   with its number, the properties named in `fields` and a link. Everything a feature says is written
   as text, never as HTML; the words of the link come from the page, translated there. */
(function () {
  "use strict";

  function line(parent, tag, text) {
    var node = document.createElement(tag);
    node.textContent = text;
    parent.appendChild(node);
    return node;
  }

  // An element, not a string: Leaflet would write a string in as HTML.
  function summary(p, fields) {
    var node = document.createElement("span");
    node.textContent = [p.id].concat(fields.map(function (f) { return p[f]; })).join(" · ");
    return node;
  }

  function popup(p, options) {
    var box = document.createElement("div");
    box.className = "ticket-popup";
    line(box, "strong", p.id);
    options.fields.forEach(function (f) { line(box, "div", p[f]); });
    // A link made from the page's pattern (its __id__ replaced by the feature's number), or the feature's own.
    line(box, "a", options.label).href = options.url
      ? options.url.replace("__id__", encodeURIComponent(p.number)) : p.url;
    return box;
  }

  // Overdue circles red, the others blue: chosen here from each feature's `overdue`, so a map of a thousand
  // circles carries no style of its own for each of them.
  var OVERDUE = {color: "#7f1d1d", fillColor: "#dc2626"}, DUE = {color: "#1e3a8a", fillColor: "#2563eb"};

  window.seeclickMapLinks = {
    /* options: {label, fields: [property, ...], url: a pattern with __id__, or none for each feature's url} */
    attach: function (layer, options) {
      layer.setStyle(function (feature) { return feature.properties.overdue ? OVERDUE : DUE; });
      layer.bindTooltip(function (circle) { return summary(circle.feature.properties, options.fields); });
      layer.bindPopup(function (circle) { return popup(circle.feature.properties, options); });
      // On a phone the tap that opens the popup also shows the tooltip beside it: the popup says it all.
      layer.on("popupopen", function () { layer.closeTooltip(); });
    }
  };
})();
