/* The public map's vector tiles (/map/tiles/...): counts in cells when zoomed out, drawn as circles
   sized by how many reports they hold; from street level, each report as a point linking to its page.
   The words come from the page (#map-text), translated there. */
(function () {
  "use strict";
  var OPEN = "#c2410c", CLOSED = "#1d4ed8", MIXED = "#7c3aed";

  function words() {
    var node = document.getElementById("map-text");
    return node ? JSON.parse(node.textContent) : {};
  }

  // A cell is at least a sixteenth of its 256 px tile, so its centre is 8 px or more from the tile's
  // edge: a radius up to 7.5 px is never cut off where one tile meets the next.
  function cellStyle(p) {
    var share = p.n ? p.open / p.n : 0;
    return {
      radius: Math.min(7.5, 2 + 1.4 * Math.log10(p.n + 1)), weight: 1, color: "#111827", opacity: 0.5,
      fill: true, fillOpacity: 0.75, fillColor: share >= 0.3 ? OPEN : share >= 0.1 ? MIXED : CLOSED
    };
  }

  function pointStyle(p) {
    return {radius: 7, weight: 2, color: "#ffffff", opacity: 1, fill: true, fillOpacity: 0.95,
            fillColor: p.open ? OPEN : CLOSED};
  }

  function line(parent, tag, text, className) {
    var node = document.createElement(tag);
    node.textContent = text;
    if (className) node.className = className;
    parent.appendChild(node);
    return node;
  }

  function number(n) {
    return Number(n).toLocaleString(document.documentElement.lang || undefined);
  }

  function cellPopup(map, p, latlng, text) {
    var box = document.createElement("div");
    line(box, "strong", number(p.n) + " " + text.reports);
    line(box, "span", " (" + number(p.open) + " " + text.open + ")");
    var zoom = line(box, "button", text.zoom, "button small");
    zoom.type = "button";
    zoom.addEventListener("click", function () {
      map.closePopup();
      map.setView(latlng, Math.min(map.getZoom() + 2, 19));
    });
    return box;
  }

  function reportPopup(p, text) {
    var box = document.createElement("div");
    line(box, "strong", text.report + " #" + p.id);
    line(box, "div", p.category);
    line(box, "div", (text.statuses[p.status] || p.status) + " · " + text.made + " " + p.created);
    var link = line(box, "a", text.see);
    link.href = text.report_url.replace("__id__", encodeURIComponent(p.id));
    return box;
  }

  // Leaflet 1.9 takes a small circle that has getLatLng() for a marker and asks it where it is when
  // clicked; a point drawn inside a vector tile knows only its pixels, so it must not look like one.
  function pointsAreNotMarkers() {
    var proto = L.VectorGrid.prototype;
    if (proto._seeclickPatched) return;
    var create = proto._createLayer;
    proto._createLayer = function (feat, pxPerExtent, layerStyle) {
      var layer = create.call(this, feat, pxPerExtent, layerStyle);
      if (feat.type === 1) layer.getLatLng = null;
      return layer;
    };
    proto._seeclickPatched = true;
  }

  window.seeclickMap = {
    options: function () {
      pointsAreNotMarkers();
      return {
        rendererFactory: L.svg.tile, interactive: true, maxZoom: 19,
        vectorTileLayerStyles: {cells: cellStyle, reports: pointStyle},
        getFeatureId: function (f) { return f.properties.id; }
      };
    },
    attach: function (map, layer) {
      var text = words();
      var popup = L.popup();
      layer.on("click", function (e) {
        var p = e.layer.properties;
        var latlng = e.latlng || map.mouseEventToLatLng(e.originalEvent);
        var content = p.id !== undefined ? reportPopup(p, text) : cellPopup(map, p, latlng, text);
        popup.setLatLng(latlng).setContent(content).openOn(map);
      });
      window.seeclickMap.map = map;
      window.seeclickMap.layer = layer;
    }
  };
})();
