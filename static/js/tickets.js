/* The staff queue's map: each ticket's circle is named on hover, and a tap or click opens a popup
   with its number, kind and status and a link to the ticket. Everything a ticket says is written as
   text, never as HTML. The words of the link come from the page, translated there. */
(function () {
  "use strict";

  function line(parent, tag, text) {
    var node = document.createElement(tag);
    node.textContent = text;
    parent.appendChild(node);
    return node;
  }

  // An element, not a string: Leaflet would write a string in as HTML.
  function summary(p) {
    var node = document.createElement("span");
    node.textContent = p.id + " · " + p.category + " · " + p.status;
    return node;
  }

  function popup(p, url, label) {
    var box = document.createElement("div");
    box.className = "ticket-popup";
    line(box, "strong", p.id);
    line(box, "div", p.category);
    line(box, "div", p.status);
    var link = line(box, "a", label);
    link.href = url.replace("__id__", encodeURIComponent(p.number));
    return box;
  }

  window.seeclickTickets = {
    attach: function (layer, url, label) {
      layer.bindTooltip(function (circle) { return summary(circle.feature.properties); });
      layer.bindPopup(function (circle) { return popup(circle.feature.properties, url, label); });
      // On a phone the tap that opens the popup also shows the tooltip beside it: the popup says it all.
      layer.on("popupopen", function () { layer.closeTooltip(); });
    }
  };
})();
