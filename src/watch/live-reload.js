// Live reload, added to HTML pages by `http-from-scratch --watch`.
//
// The server sends an event on one stream (server-sent events) when files
// change. Browsers allow only six connections to one host, so all tabs of
// a browser share one stream: the tab that holds a Web Lock opens it and
// passes each event to the other tabs on a BroadcastChannel. When that tab
// closes, reloads or leaves, its lock is released, and a tab waiting for
// it takes it and opens the stream again. Where either API is missing
// (Web Locks need a secure context: https, or http from localhost), each
// tab opens a stream of its own.
//
// Nothing that arrives can make this throw: an event whose data cannot be
// read still says that something changed, and reloads the page.
(function () {
  "use strict";
  var EVENTS = "/.well-known/http-from-scratch/live-reload";
  var NAME = "http-from-scratch-live-reload";
  // After an answer that is not a stream, the first wait before asking
  // again and the longest (each wait doubles the last).
  var RETRY_FIRST_MS = 2000;
  var RETRY_MOST_MS = 60000;

  if (typeof EventSource === "undefined") {
    return;
  }

  // An event's data as the server writes it: {paths, more, css_only}.
  // Anything else counts as a change to something other than stylesheets.
  function read(data) {
    try {
      var change = JSON.parse(data);
      if (change !== null && typeof change === "object") {
        return change;
      }
    } catch (malformed) {
      // Told as a change all the same, below.
    }
    return { css_only: false };
  }

  // Stylesheets alone can be swapped in place (the page keeps its state);
  // anything else reloads the page.
  function apply(change) {
    if (change !== null && typeof change === "object" && change.css_only === true) {
      swapStylesheets();
    } else {
      location.reload();
    }
  }

  // Each same-origin stylesheet is asked for again, under a new query so
  // no cache answers for it.
  function swapStylesheets() {
    var links = document.querySelectorAll('link[rel~="stylesheet"][href]');
    Array.prototype.forEach.call(links, function (link) {
      var url;
      try {
        url = new URL(link.href, location.href);
      } catch (unparsable) {
        return;
      }
      if (url.origin !== location.origin) {
        return;
      }
      url.searchParams.set("live-reload", String(Date.now()));
      link.href = url.href;
    });
  }

  // EventSource reconnects by itself when the connection drops (the server
  // restarting), but gives up on an answer that is not a stream: a 503
  // when the server has as many streams open as it allows, a 404 from a
  // server started without --watch. Then it is opened again later, so a
  // tab holding the lock never sits on a dead stream.
  function listen(onChange) {
    var wait = RETRY_FIRST_MS;
    function open() {
      var source = new EventSource(EVENTS);
      source.addEventListener("open", function () {
        wait = RETRY_FIRST_MS;
      });
      source.addEventListener("change", function (event) {
        onChange(read(event.data));
      });
      source.addEventListener("error", function () {
        if (source.readyState === EventSource.CLOSED) {
          setTimeout(open, wait);
          wait = Math.min(wait * 2, RETRY_MOST_MS);
        }
      });
    }
    open();
  }

  if (typeof BroadcastChannel === "function" && navigator.locks) {
    var channel = new BroadcastChannel(NAME);
    channel.onmessage = function (event) {
      apply(event.data);
    };
    var leading = false;
    navigator.locks
      .request(NAME, function () {
        leading = true;
        listen(function (change) {
          channel.postMessage(change);
          apply(change);
        });
        // Held for as long as this page lives: a promise that never settles.
        return new Promise(function () {});
      })
      .catch(function () {
        // No lock to be had (a sandboxed frame, say): a stream of its own.
        if (!leading) {
          listen(apply);
        }
      });
  } else {
    listen(apply);
  }
})();
