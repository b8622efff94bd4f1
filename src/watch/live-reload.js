// Live reload, added to HTML pages by `http-from-scratch --watch`.
//
// The server sends an event on one stream (server-sent events) when files
// change. Browsers allow only six connections to one host, so all tabs of
// a browser share one stream: the tab that holds a lock opens it and
// passes each event to the other tabs on a BroadcastChannel; when that tab
// closes, the lock passes to another tab, which opens the stream again.
// Where either API is missing, each tab opens a stream of its own.
(function () {
  "use strict";
  var EVENTS = "/.well-known/http-from-scratch/live-reload";
  var NAME = "http-from-scratch-live-reload";

  // Stylesheets alone can be swapped in place (the page keeps its state);
  // anything else reloads the page.
  function apply(change) {
    if (change.css_only) {
      swapStylesheets();
    } else {
      location.reload();
    }
  }

  // Each same-origin stylesheet is asked for again, under a new query so
  // no cache answers for it.
  function swapStylesheets() {
    var links = document.querySelectorAll('link[rel~="stylesheet"]');
    Array.prototype.forEach.call(links, function (link) {
      var url = new URL(link.href, location.href);
      if (url.origin !== location.origin) {
        return;
      }
      url.searchParams.set("live-reload", String(Date.now()));
      link.href = url.href;
    });
  }

  // EventSource reconnects on its own when the server restarts.
  function listen(onChange) {
    var source = new EventSource(EVENTS);
    source.addEventListener("change", function (event) {
      onChange(JSON.parse(event.data));
    });
  }

  if (typeof BroadcastChannel === "function" && navigator.locks) {
    var channel = new BroadcastChannel(NAME);
    channel.onmessage = function (event) {
      apply(event.data);
    };
    navigator.locks.request(NAME, function () {
      // Held for as long as this page lives: a promise that never settles.
      return new Promise(function () {
        listen(function (change) {
          channel.postMessage(change);
          apply(change);
        });
      });
    });
  } else {
    listen(apply);
  }
})();
