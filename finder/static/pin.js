// The submission form's pin: a draggable marker that writes its place into the form.
(function () {
  var box = document.getElementById("pin-map");
  if (!box || !window.L) return;
  var lat = document.querySelector("[name=latitude]");
  var lon = document.querySelector("[name=longitude]");
  var start = [parseFloat(box.dataset.lat), parseFloat(box.dataset.lon)];
  var map = L.map(box).setView(start, 13);
  L.tileLayer(box.dataset.tiles, { attribution: box.dataset.attribution, maxZoom: 19 }).addTo(map);
  var pin = L.marker(start, { draggable: true, keyboard: true, title: box.dataset.title }).addTo(map);
  pin.on("dragend", function () {
    var at = pin.getLatLng();
    lat.value = at.lat.toFixed(5);
    lon.value = L.Util.wrapNum(at.lng, [-180, 180], true).toFixed(5);
  });
})();
