// The submission form's pin: a draggable marker that writes its place into the form.
// After "Show on the map" the page scrolls to the map, gives it focus and says so.
(function () {
  var box = document.getElementById("pin-map");
  if (!box || !window.L) return;
  var lat = document.querySelector("[name=latitude]");
  var lon = document.querySelector("[name=longitude]");
  var status = document.getElementById("pin-status");
  var start = [parseFloat(box.dataset.lat), parseFloat(box.dataset.lon)];
  var map = L.map(box, { zoomControl: false }).setView(start, 13);
  // The zoom buttons titled in the page's language (Leaflet's own titles are English).
  L.control.zoom({ zoomInTitle: box.dataset.zoomIn, zoomOutTitle: box.dataset.zoomOut }).addTo(map);
  L.tileLayer(box.dataset.tiles, { attribution: box.dataset.attribution, maxZoom: 19 }).addTo(map);
  var pin = L.marker(start, { draggable: true, keyboard: true, title: box.dataset.title }).addTo(map);

  function say(text) {
    if (status) status.textContent = text;
  }

  function place(at) {
    lat.value = at.lat.toFixed(5);
    lon.value = L.Util.wrapNum(at.lng, [-180, 180], true).toFixed(5);
    say(box.dataset.moved.replace("{lat}", lat.value).replace("{lon}", lon.value));
  }

  pin.on("dragend", function () {
    place(pin.getLatLng());
  });

  // Arrow keys move the focused pin by a few pixels: dragging without a mouse.
  var steps = { ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0] };
  pin.getElement().addEventListener("keydown", function (event) {
    var step = steps[event.key];
    if (!step) return;
    event.preventDefault();
    event.stopPropagation();
    var size = event.shiftKey ? 1 : 10;
    var point = map.latLngToContainerPoint(pin.getLatLng()).add([step[0] * size, step[1] * size]);
    pin.setLatLng(map.containerPointToLatLng(point));
    place(pin.getLatLng());
  });

  // Coordinates typed by hand move the pin there.
  [lat, lon].forEach(function (input) {
    input.addEventListener("change", function () {
      var at = [parseFloat(lat.value), parseFloat(lon.value)];
      if (isNaN(at[0]) || isNaN(at[1]) || Math.abs(at[0]) > 90 || Math.abs(at[1]) > 180) return;
      pin.setLatLng(at);
      map.panTo(at);
    });
  });

  box.scrollIntoView({ block: "center" });
  box.focus({ preventScroll: true });
  // Filled a moment later so screen readers notice the change in the live region.
  window.setTimeout(function () {
    say(box.dataset.shown);
  }, 100);
})();
