// Progressive enhancement: the player that starts at the clip and stops at its end, and
// drag-and-drop for the face photo. The page works without this file.
"use strict";

function playClip(card) {
  const video = card.querySelector("video.player");
  const img = card.querySelector(".frame img");
  const start = parseFloat(card.dataset.start);
  const end = parseFloat(card.dataset.end);
  if (!video.src) {
    video.preload = "auto";
    video.src = video.dataset.src;   // the #t=start,end fragment also positions it natively
    video.addEventListener("timeupdate", () => {
      if (video.currentTime >= end) video.pause();
    });
  }
  if (img) img.hidden = true;
  video.hidden = false;
  const go = () => { video.currentTime = start; video.play().catch(() => {}); };
  if (video.readyState >= 1) go(); else { video.addEventListener("loadedmetadata", go, { once: true }); video.load(); }
  video.focus();
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button.play");
  if (button) playClip(button.closest(".clip"));
});

const drop = document.getElementById("drop");
if (drop) {
  const input = document.getElementById("photo");
  const form = document.getElementById("face-form");
  ["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add("over"); }));
  ["dragleave", "drop"].forEach((t) => drop.addEventListener(t, () => drop.classList.remove("over")));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    if (e.dataTransfer.files.length) { input.files = e.dataTransfer.files; form.submit(); }
  });
  drop.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); input.click(); } });
  input.addEventListener("change", () => { if (input.files.length) form.submit(); });
}
