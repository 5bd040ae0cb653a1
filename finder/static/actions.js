// Small page behaviours, wired from data- attributes (the CSP allows no inline handlers):
// select[data-autosubmit] sends its form on change, input[data-select-on-focus] selects its
// text, button[data-print] prints the page, a[data-back-to-results] returns to the results
// page the visitor came from, button[data-copy] copies the text of the field it names, and
// a[data-shortlist-remove] takes a practitioner off the shortlist page (without JS the link
// opens the shortlist without them).
(function () {
  "use strict";
  function each(selector, fn) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), fn);
  }
  each("select[data-autosubmit]", function (select) {
    select.addEventListener("change", function () {
      if (select.form) select.form.submit();
    });
  });
  each("input[data-select-on-focus]", function (input) {
    input.addEventListener("focus", function () {
      input.select();
    });
  });
  // A practitioner page reached from a results page leads back to those results.
  each("a[data-back-to-results]", function (link) {
    var from;
    try {
      from = new URL(document.referrer);
    } catch (error) {
      return;
    }
    if (from.origin !== window.location.origin || from.pathname !== "/search") return;
    link.href = from.pathname + from.search;
    link.textContent = link.getAttribute("data-back-to-results");
  });
  each("button[data-print]", function (button) {
    button.addEventListener("click", function () {
      window.print();
    });
  });

  each("button[data-copy]", function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var status = document.getElementById("copy-status");
    if (!field) return;
    function say(text) {
      if (status) status.textContent = text;
    }
    // Without the clipboard API (or permission) the link is selected for the visitor to copy.
    function selectInstead() {
      field.focus();
      field.select();
      say(button.getAttribute("data-select-hint"));
    }
    button.addEventListener("click", function () {
      say("");
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(field.value).then(function () {
          say(button.getAttribute("data-copied"));
        }, selectInstead);
      } else {
        selectInstead();
      }
    });
  });

  // The shortlist page: each Remove updates the list, the link to share and the address bar.
  var STORE = "finder.shortlist"; // the ids ticked on results pages (results.js)
  var shortlist = document.querySelector("[data-shortlist]");
  function shownIds() {
    return Array.prototype.map.call(
      document.querySelectorAll(".shortlist-item[data-practitioner-id]"),
      function (item) {
        return item.getAttribute("data-practitioner-id");
      }
    );
  }
  function withIds(address, ids) {
    var url = new URL(address, window.location.href);
    url.searchParams.delete("id");
    ids.forEach(function (id) {
      url.searchParams.append("id", id);
    });
    return url;
  }
  function forget(id) {
    try {
      var kept = JSON.parse(window.sessionStorage.getItem(STORE) || "[]");
      if (!Array.isArray(kept)) return;
      window.sessionStorage.setItem(
        STORE,
        JSON.stringify(kept.filter(function (k) { return k !== id; }))
      );
    } catch (error) {
      // Storage refused (private mode): the page still works, only results pages forget less.
    }
  }
  each("a[data-shortlist-remove]", function (link) {
    link.addEventListener("click", function (event) {
      var item = link.closest(".shortlist-item");
      if (!shortlist || !item) return;
      event.preventDefault();
      var id = item.getAttribute("data-practitioner-id");
      var next = item.nextElementSibling || item.previousElementSibling;
      item.parentNode.removeChild(item);
      forget(id);
      var ids = shownIds();
      var share = document.getElementById("shortlist-link");
      if (share) share.value = withIds(shortlist.getAttribute("data-share-base"), ids).href;
      var status = document.getElementById("copy-status");
      if (status) status.textContent = "";
      var here = withIds(window.location.href, ids);
      window.history.replaceState(null, "", here.pathname + here.search);
      each(".shortlist-item a[data-shortlist-remove]", function (other) {
        var otherId = other.closest(".shortlist-item").getAttribute("data-practitioner-id");
        var rest = withIds(here.href, ids.filter(function (k) { return k !== otherId; }));
        other.href = rest.pathname + rest.search;
      });
      var announce = document.getElementById("shortlist-announce");
      if (announce) announce.textContent = link.getAttribute("data-removed");
      if (!ids.length) {
        var shareBox = document.getElementById("shortlist-share");
        if (shareBox) shareBox.hidden = true;
        document.getElementById("shortlist-empty").hidden = false;
      }
      // Focus stays in the list: the next practitioner's Remove, else the page's heading.
      var target = next && next.querySelector("a[data-shortlist-remove]");
      (target || shortlist.querySelector("h1")).focus();
    });
  });
})();
