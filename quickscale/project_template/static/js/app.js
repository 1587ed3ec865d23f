// The project's own script. HTMX swaps only 2xx and 422 answers (see base.html's htmx-config);
// any other failure of a background request is shown here instead of failing silently.
(function () {
  "use strict";

  function showRequestError(text) {
    var box = document.getElementById("request-error");
    if (!box) return;
    box.querySelector("[data-message]").textContent = text;
    box.hidden = false;
  }

  document.addEventListener("click", function (event) {
    var box = document.getElementById("request-error");
    if (box && event.target.closest("#request-error .delete")) box.hidden = true;
  });

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    if (status === 403) {
      showRequestError("That was refused (403). Reload the page and try again; your session may have ended.");
    } else if (status === 429) {
      showRequestError("Too many requests. Wait a moment and try again.");
    } else {
      showRequestError("Something went wrong (" + status + "). Please try again.");
    }
  });

  document.addEventListener("htmx:sendError", function () {
    showRequestError("The server could not be reached. Check your connection and try again.");
  });
})();
