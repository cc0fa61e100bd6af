// The complaint pages' one enhancement; each page works without it.
// The receipt: a button that prints the page (the codes are shown once).
// The check page: the send button is disabled once pressed, so a slow link does not file twice.
(function () {
  "use strict";
  var print = document.getElementById("print-receipt");
  if (print) {
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
  }
  var send = document.getElementById("send-complaint");
  if (send && send.form) {
    send.form.addEventListener("submit", function (event) {
      if (event.submitter !== send) { return; }  // a "Change" button: nothing is filed
      window.setTimeout(function () { send.disabled = true; }, 0);
    });
  }
})();
