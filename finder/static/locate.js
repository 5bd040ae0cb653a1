// "Use my location": fills the hidden lat/lon fields from the browser and submits.
(function () {
  var button = document.getElementById("use-location");
  if (!button || !("geolocation" in navigator)) return;
  var form = button.closest("form");
  var status = document.getElementById("geo-status");
  button.hidden = false;
  button.addEventListener("click", function () {
    status.textContent = button.dataset.finding;
    navigator.geolocation.getCurrentPosition(
      function (position) {
        form.querySelector("[name=lat]").value = position.coords.latitude.toFixed(5);
        form.querySelector("[name=lon]").value = position.coords.longitude.toFixed(5);
        var location = form.querySelector("[name=location]");
        if (!location.value) location.value = "";
        status.textContent = "";
        form.submit();
      },
      function () {
        status.textContent = button.dataset.denied;
      },
      { enableHighAccuracy: false, timeout: 10000, maximumAge: 600000 }
    );
  });
  // A typed place replaces coordinates from an earlier "use my location".
  form.querySelector("[name=location]").addEventListener("input", function () {
    form.querySelector("[name=lat]").value = "";
    form.querySelector("[name=lon]").value = "";
  });
})();
