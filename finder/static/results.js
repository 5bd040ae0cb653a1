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

// The shortlist ticks: kept in sessionStorage so that they survive another page of results
// or another search in this tab; restored on every results page, and "View shortlist" opens
// all of them (in the order they were ticked) with the distances from this search's place.
(function () {
  "use strict";
  var form = document.getElementById("shortlist-form");
  if (!form) { return; }
  var STORE = "finder.shortlist"; // actions.js forgets ids removed on the shortlist page
  var MAX = 50; // the shortlist page shows at most this many
  var count = form.querySelector("[data-shortlist-count]");
  var clear = document.getElementById("clear-shortlist");
  var hint = document.getElementById("shortlist-hint");
  if (hint) { hint.hidden = false; }

  function load() {
    try {
      var ids = JSON.parse(window.sessionStorage.getItem(STORE) || "[]");
      if (!Array.isArray(ids)) { return []; }
      return ids.filter(function (id) {
        return typeof id === "string" && /^[0-9]{1,9}$/.test(id);
      }).slice(0, MAX);
    } catch (error) {
      return [];
    }
  }
  function save(ids) {
    try { window.sessionStorage.setItem(STORE, JSON.stringify(ids)); } catch (error) { /* private mode */ }
  }
  function boxes() {
    return Array.prototype.slice.call(
      document.querySelectorAll('input[type=checkbox][name=id][form="shortlist-form"]')
    );
  }
  var ids = load();

  function show() {
    boxes().forEach(function (box) { box.checked = ids.indexOf(box.value) >= 0; });
    if (count) {
      count.hidden = !ids.length;
      count.textContent = " (" + ids.length + ")";
    }
    if (clear) { clear.hidden = !ids.length; }
  }

  // Ticks made before this script ran count too.
  boxes().forEach(function (box) {
    if (box.checked && ids.indexOf(box.value) < 0 && ids.length < MAX) { ids.push(box.value); }
  });
  save(ids);
  show();

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches('input[type=checkbox][name=id][form="shortlist-form"]')) { return; }
    ids = load();
    var at = ids.indexOf(box.value);
    if (box.checked && at < 0 && ids.length < MAX) { ids.push(box.value); }
    if (!box.checked && at >= 0) { ids.splice(at, 1); }
    save(ids);
    show(); // the same practitioner may be on the page twice (nearby and from home)
  });

  if (clear) {
    clear.addEventListener("click", function () {
      ids = [];
      save(ids);
      show();
      form.querySelector("button[type=submit]").focus();
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    ids = load();
    var query = new URLSearchParams();
    ids.forEach(function (id) { query.append("id", id); });
    ["from", "unit"].forEach(function (name) {
      var field = form.elements[name];
      if (field && field.value) { query.append(name, field.value); }
    });
    window.location.href = form.action + "?" + query.toString();
  });

  // Back to a page kept in the browser's memory: ticks may have changed elsewhere meanwhile.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { ids = load(); show(); }
  });
})();
