// Staff console: print button, nursery switcher, confirmation before cancelling a booking.
document.addEventListener("click", function (e) {
  var b = e.target.closest("[data-print]");
  if (b) { window.print(); }
});
document.addEventListener("change", function (e) {
  if (e.target.matches("select[data-go]") && e.target.value) {
    window.location.href = e.target.value;
  }
});
document.addEventListener("submit", function (e) {
  var f = e.target.closest("form[data-confirm]");
  if (f && !window.confirm(f.getAttribute("data-confirm"))) { e.preventDefault(); }
});
