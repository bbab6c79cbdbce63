// Staff console: print button, nursery switcher, confirmation of an action in a dialog
// (without JavaScript the server shows a confirmation page instead).
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
  if (!f) { return; }
  if (!window.confirm(f.getAttribute("data-confirm"))) { e.preventDefault(); return; }
  if (!f.querySelector("input[name=confirmed]")) {
    var yes = document.createElement("input");
    yes.type = "hidden"; yes.name = "confirmed"; yes.value = "1";
    f.appendChild(yes);
  }
});
