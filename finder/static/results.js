// Results page on a phone: the list comes first and the map waits behind a button.
// The button is labelled with the map section's own (translated) name and tells assistive
// technology whether the map is shown (aria-expanded) and which element it shows
// (aria-controls). On wide screens the map sits beside the list and the button is hidden
// by the stylesheet.
(function () {
  "use strict";
  var section = document.querySelector(".results-map");
  if (!section) { return; }
  if (!section.id) { section.id = "results-map"; }
  var phone = window.matchMedia("(max-width: 760px)");

  var button = document.createElement("button");
  button.type = "button";
  button.className = "button secondary map-toggle";
  button.setAttribute("aria-controls", section.id);
  button.textContent = section.getAttribute("aria-label") || "Map";
  section.parentNode.insertBefore(button, section);

  function leafletMap() {
    var frame = section.querySelector(".map-frame");
    return frame && frame.dataset.map ? window[frame.dataset.map] : null;
  }

  function show(open) {
    section.classList.toggle("is-collapsed", !open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      // Leaflet measured a hidden box: let it measure again now that the map has a size.
      var map = leafletMap();
      if (map && map.invalidateSize) { map.invalidateSize(); }
    }
  }

  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-expanded") !== "true";
    show(open);
    // The map comes into view with the button just above it (the stylesheet's scroll margin),
    // so the same button hides it again.
    if (open) { section.scrollIntoView({ block: "start" }); }
  });

  // Start collapsed on a phone, shown on a wide screen; follow the screen when it changes.
  show(!phone.matches);
  var follow = function (event) { show(!event.matches); };
  if (phone.addEventListener) { phone.addEventListener("change", follow); }
  else if (phone.addListener) { phone.addListener(follow); }
})();
