// An assignable unit written with @xapi/cmi5 (the npm package's UMD build, a global `Cmi5`), as an authoring team
// using that library would write it: the library reads the launch parameters from this page's URL, fetches the
// token, reads LMS.LaunchData and the learner preferences, and sends "initialized"; then "passed" with a score over
// the mastery score, "completed" and "terminated".
(async function () {
  "use strict";
  var note = document.getElementById("note");
  var Cmi5 = window.Cmi5.default || window.Cmi5;
  try {
    var cmi5 = new Cmi5();
    await cmi5.initialize();
    note.textContent = "Connected in " + cmi5.getLaunchData().launchMode + " mode.";
    var finish = document.getElementById("finish");
    finish.hidden = false;
    finish.addEventListener("click", async function () {
      finish.disabled = true;
      try {
        await cmi5.pass(0.9);
        await cmi5.complete();
        await cmi5.terminate();
        note.textContent = "Done: passed and completed.";
        var back = document.getElementById("back");
        back.href = cmi5.getLaunchData().returnURL;
        back.hidden = false;
      } catch (e) {
        note.textContent = "Could not finish: " + (e && e.message);
      }
    });
  } catch (e) {
    note.textContent = "Could not connect: " + (e && e.message);
  }
})();
