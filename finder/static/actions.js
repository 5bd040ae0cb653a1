// Small page behaviours, wired from data- attributes (the CSP allows no inline handlers):
// select[data-autosubmit] sends its form on change, input[data-select-on-focus] selects its
// text, button[data-print] prints the page.
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
  each("button[data-print]", function (button) {
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
