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

  // Alpine components. The pages run Alpine's CSP build, which evaluates no JavaScript written
  // in attributes: x-data names one of these, x-on and x-bind name a method or a property.
  document.addEventListener("alpine:init", function () {
    var Alpine = window.Alpine;

    // The navigation: the burger opens the menu on small screens.
    Alpine.data("navbar", function () {
      return {
        open: false,
        toggle: function () {
          this.open = !this.open;
        },
        get activeClass() {
          return { "is-active": this.open };
        },
        get expanded() {
          return this.open ? "true" : "false";
        },
      };
    });

    // A message with a dismiss button.
    Alpine.data("dismissible", function () {
      return {
        shown: true,
        dismiss: function () {
          this.shown = false;
        },
      };
    });

    // A new API key's secret: copy it to the clipboard, or select it where there is none.
    Alpine.data("copyKey", function () {
      return {
        state: "",
        copy: function () {
          var self = this;
          var input = this.$refs.token;
          function select() {
            input.focus();
            input.select();
            self.state = "selected";
          }
          if (navigator.clipboard && window.isSecureContext) {
            navigator.clipboard.writeText(input.value).then(function () {
              self.state = "copied";
            }, select);
          } else {
            select();
          }
        },
        selectAll: function (event) {
          event.target.select();
        },
        get notCopied() {
          return this.state !== "copied";
        },
        get notSelected() {
          return this.state !== "selected";
        },
      };
    });
  });
})();
