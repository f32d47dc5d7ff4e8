/* A map of reports (a neighbourhood's open ones): each circle is named on hover, and a tap or click
   opens a popup with its number and kind and a link to its page. What a report says is written as
   text, never as HTML; the words of the link come from the page, translated there. */
(function () {
  "use strict";

  function line(parent, tag, text) {
    var node = document.createElement(tag);
    node.textContent = text;
    parent.appendChild(node);
    return node;
  }

  function summary(p) {
    var node = document.createElement("span");
    node.textContent = p.id + " · " + p.category;
    return node;
  }

  function popup(p, label) {
    var box = document.createElement("div");
    box.className = "ticket-popup";
    line(box, "strong", p.id);
    line(box, "div", p.category);
    line(box, "a", label).href = p.url;
    return box;
  }

  window.seeclickReports = {
    attach: function (layer, label) {
      layer.bindTooltip(function (circle) { return summary(circle.feature.properties); });
      layer.bindPopup(function (circle) { return popup(circle.feature.properties, label); });
      layer.on("popupopen", function () { layer.closeTooltip(); });
    }
  };
})();
