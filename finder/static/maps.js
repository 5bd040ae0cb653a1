// Markers, popups and tooltips for the maps on this page, drawn from the page's JSON data.
// The data holds text from visitors and submissions, so it is only ever set as text
// (DOM nodes and textContent), never parsed as HTML; colours, numbers and links are checked.
(function () {
  "use strict";
  if (!window.L) return;

  var COLOUR = /^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$/;

  function colour(value, fallback) {
    return typeof value === "string" && COLOUR.test(value) ? value : fallback;
  }

  function number(value, fallback) {
    return typeof value === "number" && isFinite(value) ? value : fallback;
  }

  // Links on the map lead to this site's own pages only.
  function sameSitePath(url) {
    return typeof url === "string" && /^\/(?![\/\\])/.test(url) ? url : null;
  }

  function textElement(tag, text, className) {
    var element = document.createElement(tag);
    if (className) element.className = className;
    element.textContent = String(text == null ? "" : text);
    return element;
  }

  function popupContent(marker) {
    var box = textElement("div", "", "map-popup");
    var title = textElement("strong", marker.name);
    var href = sameSitePath(marker.url);
    if (href) {
      var link = document.createElement("a");
      link.href = href;
      link.appendChild(title);
      box.appendChild(link);
    } else {
      box.appendChild(title);
    }
    (Array.isArray(marker.lines) ? marker.lines : []).forEach(function (line) {
      box.appendChild(textElement("div", line));
    });
    return box;
  }

  function circle(marker) {
    var style = marker.style || {};
    return L.circleMarker([marker.lat, marker.lon], {
      radius: number(style.radius, 8),
      color: colour(style.color, "#555555"),
      weight: number(style.weight, 2),
      dashArray: style.dashed === true ? "3" : null,
      fill: true,
      fillColor: colour(style.fillColor, "#555555"),
      fillOpacity: number(style.fillOpacity, 0.8),
    });
  }

  // Leaflet titles its zoom buttons in English; the page gives the words in its language.
  function nameZoomButtons(map) {
    var container = map.getContainer();
    var frame = container.closest(".map-frame");
    if (!frame) return;
    [["in", frame.dataset.zoomIn], ["out", frame.dataset.zoomOut]].forEach(function (pair) {
      var button = container.querySelector(".leaflet-control-zoom-" + pair[0]);
      if (button && pair[1]) {
        button.title = pair[1];
        button.setAttribute("aria-label", pair[1]);
      }
    });
  }

  function draw(data) {
    var map = window[data.map];
    if (!map || typeof map.addLayer !== "function") return;
    nameZoomButtons(map);
    var layer = window[data.layer];
    if (!layer || typeof layer.addLayer !== "function") layer = map;
    var origin = data.origin && window[data.origin.layer];
    if (origin && data.origin.label) {
      origin.bindTooltip(textElement("span", data.origin.label));
    }
    var dots = [];
    (Array.isArray(data.markers) ? data.markers : []).forEach(function (marker) {
      if (number(marker.lat, null) === null || number(marker.lon, null) === null) return;
      var dot = circle(marker);
      dot.bindPopup(popupContent(marker), { maxWidth: 280 });
      dot.bindTooltip(textElement("span", marker.tooltip || marker.name));
      dots.push(dot);
    });
    if (typeof layer.addLayers === "function") layer.addLayers(dots);
    else dots.forEach(function (dot) { layer.addLayer(dot); });
  }

  var islands = document.querySelectorAll("script.map-data[type='application/json']");
  Array.prototype.forEach.call(islands, function (island) {
    var data;
    try {
      data = JSON.parse(island.textContent);
    } catch (error) {
      return;
    }
    if (data && typeof data === "object") draw(data);
  });
})();
