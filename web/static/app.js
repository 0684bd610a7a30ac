// Progressive enhancement: the player that starts at the clip and stops at its end, drag-and-drop
// for the face photo, hover previews, keyboard navigation, and the movie page's time-aligned
// transcript and hit strip. The pages work without this file.
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
  stopPreview(card);
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

// -- hover / focus preview: scrub through the clip's keyframes --------------------------------
const previews = new WeakMap();

function startPreview(card) {
  const img = card.querySelector(".frame img");
  const frames = (card.dataset.frames || "").split(" ").filter(Boolean);
  if (!img || frames.length < 2 || previews.has(card) || !card.querySelector("video.player").hidden) return;
  const first = img.getAttribute("src");
  let i = 0;
  const timer = setInterval(() => { i = (i + 1) % frames.length; img.src = frames[i]; }, 450);
  previews.set(card, { timer, first });
  card.classList.add("previewing");
}

function stopPreview(card) {
  const state = previews.get(card);
  if (!state) return;
  clearInterval(state.timer);
  card.querySelector(".frame img").src = state.first;
  previews.delete(card);
  card.classList.remove("previewing");
}

document.addEventListener("mouseover", (e) => { const c = e.target.closest(".clip"); if (c) startPreview(c); });
document.addEventListener("mouseout", (e) => {
  const c = e.target.closest(".clip");
  if (c && !c.contains(e.relatedTarget)) stopPreview(c);
});
document.addEventListener("focusin", (e) => { const c = e.target.closest(".clip"); if (c) startPreview(c); });
document.addEventListener("focusout", (e) => {
  const c = e.target.closest(".clip");
  if (c && !c.contains(e.relatedTarget)) stopPreview(c);
});

// -- keyboard: "/" searches, arrows move through results, Enter plays -------------------------
function typing(el) {
  return el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));
}

function visibleClips() {
  return [...document.querySelectorAll(".clip")].filter((c) => c.offsetParent !== null);
}

document.addEventListener("keydown", (e) => {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
  const here = document.activeElement;
  if (e.key === "/" && !typing(here)) {
    const q = document.getElementById("q");
    if (q) { e.preventDefault(); q.focus(); q.select(); }
    return;
  }
  const clips = visibleClips();
  if (!clips.length) return;
  const card = here && here.closest ? here.closest(".clip") : null;
  if ((e.key === "ArrowDown" || e.key === "ArrowRight") && (card === here || (!card && !typing(here)) || here.id === "q")) {
    if (here.id === "q" && (e.key === "ArrowRight" || here.value !== here.defaultValue)) return;   // caret, suggestions
    e.preventDefault();
    const next = card ? clips[Math.min(clips.indexOf(card) + 1, clips.length - 1)] : clips[0];
    next.focus();
  } else if ((e.key === "ArrowUp" || e.key === "ArrowLeft") && card === here) {
    e.preventDefault();
    const i = clips.indexOf(card);
    if (i > 0) clips[i - 1].focus(); else document.getElementById("q")?.focus();
  } else if (e.key === "Enter" && card === here) {
    e.preventDefault();
    playClip(card);
  }
});

// -- the face photo: drop or choose, then search ----------------------------------------------
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

// -- the movie page: transcript that seeks and follows, the hit strip -------------------------
const player = document.getElementById("player");
if (player) {
  const duration = parseFloat(player.dataset.duration) || 0;
  const seek = (t) => {
    const go = () => { player.currentTime = t; player.play().catch(() => {}); };
    if (player.readyState >= 1) go(); else player.addEventListener("loadedmetadata", go, { once: true });
  };
  document.querySelectorAll(".strip [data-start]").forEach((el) => {
    if (!duration) return;
    const a = parseFloat(el.dataset.start), b = parseFloat(el.dataset.end || el.dataset.start);
    el.style.left = `${(100 * a / duration).toFixed(3)}%`;
    if (el.dataset.end) el.style.width = `${Math.max(0.6, 100 * (b - a) / duration).toFixed(3)}%`;
  });
  document.addEventListener("click", (e) => {
    const el = e.target.closest("button.line, button.seek, button.hit-mark");
    if (el) seek(parseFloat(el.dataset.start));
  });
  const lines = [...document.querySelectorAll("#lines button.line")];
  const panel = document.getElementById("lines");
  let current = null;
  player.addEventListener("timeupdate", () => {
    const t = player.currentTime;
    let now = null;
    for (const line of lines) {
      if (parseFloat(line.dataset.start) <= t + 0.05) { if (t <= Math.max(parseFloat(line.dataset.end), parseFloat(line.dataset.start) + 0.5)) now = line; }
      else break;
    }
    if (now === current) return;
    if (current) { current.classList.remove("now"); current.removeAttribute("aria-current"); }
    current = now;
    if (now) {
      now.classList.add("now");
      now.setAttribute("aria-current", "time");
      const top = now.offsetTop - panel.offsetTop;
      if (top < panel.scrollTop || top > panel.scrollTop + panel.clientHeight - now.offsetHeight) panel.scrollTop = top - 40;
    }
  });
}
