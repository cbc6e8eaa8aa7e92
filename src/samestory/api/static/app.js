// Pointing at an aligned passage outlines its partner on the other side.
document.addEventListener("mouseover", (event) => {
  const mark = event.target.closest && event.target.closest("mark.aligned");
  document.querySelectorAll("mark.aligned.hot").forEach((m) => m.classList.remove("hot"));
  if (!mark) return;
  const pair = mark.closest(".sides");
  if (!pair) return;
  pair.querySelectorAll(`mark.aligned[data-pair="${mark.dataset.pair}"]`).forEach((m) => m.classList.add("hot"));
});
