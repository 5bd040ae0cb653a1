// Small page behaviours, wired from data- attributes (the CSP allows no inline handlers):
// select[data-autosubmit] sends its form on change, input[data-select-on-focus] selects its
// text, button[data-print] prints the page, a[data-back-to-results] returns to the results
// page the visitor came from.
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
})();
