// A cmi5 assignable unit, written for Lantern's demo (plain JavaScript, no library): it follows the cmi5 launch
// protocol (cmi5 section 8): read the launch parameters, fetch the auth token once, read LMS.LaunchData (10), then send
// "initialized", the result ("passed" or "failed", and "completed"), and "terminated" (9.3), each built from the
// contextTemplate, with the session's registration and the cmi5 categories (9.6), then return to the LMS (10.2.6).
(function () {
  "use strict";
  var CMI5 = "https://w3id.org/xapi/cmi5/context/categories/cmi5";
  var MOVE_ON = "https://w3id.org/xapi/cmi5/context/categories/moveon";
  var MASTERY = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore";
  var VERBS = {
    initialized: "http://adlnet.gov/expapi/verbs/initialized",
    completed: "http://adlnet.gov/expapi/verbs/completed",
    passed: "http://adlnet.gov/expapi/verbs/passed",
    failed: "http://adlnet.gov/expapi/verbs/failed",
    terminated: "http://adlnet.gov/expapi/verbs/terminated"
  };
  var ANSWERS = { q1: "a", q2: "a", q3: "b" };
  var note = document.getElementById("au-note");
  var params = new URLSearchParams(window.location.search);
  var endpoint = params.get("endpoint");
  var actor = JSON.parse(params.get("actor") || "null");
  var registration = params.get("registration");
  var activityId = params.get("activityId");
  var auth = null;
  var launchData = null;
  var started = new Date();

  function say(text) { note.textContent = text; }

  function uuid() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function duration() {
    return "PT" + Math.max(0, Math.round((Date.now() - started.getTime()) / 10) / 100) + "S";
  }

  function lrs(method, path, body) {
    var headers = { "Authorization": "Basic " + auth, "X-Experience-API-Version": "1.0.3" };
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    return fetch(endpoint + path, {
      method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (res) {
      if (!res.ok) {
        return res.text().then(function (t) { throw new Error(method + " " + path + ": " + res.status + " " + t); });
      }
      return res.status === 204 ? null : res.json();
    });
  }

  // A statement built from the context template (10.2.1), with the registration and the cmi5 category (9.6).
  function statement(verb, result, moveOn, extensions) {
    var context = JSON.parse(JSON.stringify(launchData.contextTemplate));
    context.registration = registration;
    context.contextActivities = context.contextActivities || {};
    var category = [{ objectType: "Activity", id: CMI5 }];
    if (moveOn) { category.push({ objectType: "Activity", id: MOVE_ON }); }
    context.contextActivities.category = category;
    if (extensions) {
      context.extensions = context.extensions || {};
      Object.keys(extensions).forEach(function (k) { context.extensions[k] = extensions[k]; });
    }
    var s = {
      id: uuid(),
      timestamp: new Date().toISOString(),
      actor: actor,
      verb: { id: VERBS[verb], display: { "en-GB": verb } },
      object: { objectType: "Activity", id: activityId },
      context: context
    };
    if (result) { s.result = result; }
    return s;
  }

  function send(statements) { return lrs("POST", "statements", statements); }

  function start() {
    if (!endpoint || !params.get("fetch") || !actor || !registration || !activityId) {
      say("This unit must be opened from Lantern.");
      return;
    }
    fetch(params.get("fetch"), { method: "POST" })
      .then(function (res) { return res.json(); })
      .then(function (body) {
        if (!body["auth-token"]) {
          throw new Error("the launch has already been used (error " + body["error-code"] + "): open the unit again from Lantern");
        }
        auth = body["auth-token"];
        var q = "activities/state?stateId=LMS.LaunchData&activityId=" + encodeURIComponent(activityId) +
          "&agent=" + encodeURIComponent(JSON.stringify(actor)) + "&registration=" + encodeURIComponent(registration);
        return lrs("GET", q);
      })
      .then(function (data) {
        launchData = data;
        // 11: the learner's preferences, read on startup (none stored is a 404, and fine).
        return fetch(endpoint + "agents/profile?profileId=cmi5LearnerPreferences&agent=" +
          encodeURIComponent(JSON.stringify(actor)), {
          headers: { "Authorization": "Basic " + auth, "X-Experience-API-Version": "1.0.3" }
        });
      })
      .then(function (res) {
        if (!res.ok && res.status !== 404) { throw new Error("the learner preferences: " + res.status); }
        return send([statement("initialized")]);
      })
      .then(function () {
        say(launchData.launchMode === "Normal"
          ? "Read the page, then answer the questions below."
          : "You are in " + launchData.launchMode + " mode: try the questions; nothing is recorded.");
        document.getElementById("au-check").hidden = false;
      })
      .catch(function (e) { say("This unit could not connect to Lantern: " + e.message); });
  }

  document.getElementById("au-check").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var form = ev.target;
    var right = 0;
    var total = Object.keys(ANSWERS).length;
    Object.keys(ANSWERS).forEach(function (q) {
      var chosen = form.querySelector("input[name=" + q + "]:checked");
      if (chosen && chosen.value === ANSWERS[q]) { right += 1; }
    });
    var scaled = Math.round((right / total) * 100) / 100;
    var mastery = typeof launchData.masteryScore === "number" ? launchData.masteryScore : 1;
    var passed = scaled >= mastery;
    var ext = {};
    ext[MASTERY] = mastery;
    var score = { scaled: scaled, raw: right, min: 0, max: total };
    // 10.2.2: in Browse and Review modes the unit records no result, only the session's end.
    var credit = launchData.launchMode === "Normal";
    var batch = [];
    if (credit) {
      batch.push(statement(passed ? "passed" : "failed", { score: score, success: passed, duration: duration() }, true, ext));
      if (passed) {
        batch.push(statement("completed", { completion: true, duration: duration() }, true));
      }
    }
    batch.push(statement("terminated", { duration: duration() }));
    document.getElementById("au-submit").disabled = true;
    send(batch)
      .then(function () {
        var answered = "You answered " + right + " of " + total + " correctly";
        if (!credit) {
          document.getElementById("au-result").textContent = answered + ".";
          say("You opened this unit to " + launchData.launchMode.toLowerCase() + " it, so nothing is recorded.");
        } else {
          document.getElementById("au-result").textContent = passed
            ? answered + ": passed."
            : answered + ". Open the unit again from Lantern to retry.";
          say("Your result is saved.");
        }
        var exit = document.getElementById("au-exit");
        exit.hidden = false;
        exit.addEventListener("click", function () {
          if (launchData.returnURL) { window.location.assign(launchData.returnURL); }
        });
      })
      .catch(function (e) { say("Your answers could not be saved: " + e.message); });
  });

  start();
})();
