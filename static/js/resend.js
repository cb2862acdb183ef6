// The resend button counts down until the server would accept another code. Without
// JavaScript the button works at once and the server answers "wait a minute" if it is early.
document.addEventListener("DOMContentLoaded", function () {
  var button = document.querySelector(".resend button[data-wait]");
  if (!button) return;
  var left = parseInt(button.getAttribute("data-wait"), 10) || 0;
  var label = button.getAttribute("data-label");
  var waiting = button.getAttribute("data-waiting");
  function tick() {
    if (left <= 0) { button.disabled = false; button.textContent = label; return; }
    button.disabled = true;
    button.textContent = waiting.replace("{s}", left);
    left -= 1;
    setTimeout(tick, 1000);
  }
  tick();
});
