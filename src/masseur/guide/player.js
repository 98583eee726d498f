// masseur's guide player: highlights the step and sentence being heard, and seeks on a click.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("guide-data").textContent);
  var audio = document.querySelector("#player audio");
  var now = document.querySelector("#player .now");
  var playhead = document.querySelector(".chart .playhead");
  var cards = Array.prototype.slice.call(document.querySelectorAll(".card"));
  var currentCard = null;
  var currentSentence = null;
  document.body.classList.add("has-player");

  function find(list, ms) {
    for (var i = 0; i < list.length; i++) {
      if (list[i].start <= ms && ms < list[i].end) { return list[i]; }
    }
    return null;
  }

  function firstStart(step) {
    for (var i = 0; i < data.segments.length; i++) {
      if (data.segments[i].step === step) { return data.segments[i].start; }
    }
    return 0;
  }

  function setCueZones(card, zones) {
    if (!card) { return; }
    var lit = card.querySelectorAll(".zone.now");
    for (var i = 0; i < lit.length; i++) { lit[i].classList.remove("now"); }
    zones.forEach(function (zone) {
      var shapes = card.querySelectorAll('.zone[data-zone="' + zone + '"]');
      for (var j = 0; j < shapes.length; j++) { shapes[j].classList.add("now"); }
    });
  }

  function show(ms) {
    var segment = find(data.segments, ms);
    var card = segment ? document.getElementById("step-" + segment.step) : null;
    if (card !== currentCard) {
      if (currentCard) { currentCard.classList.remove("current"); setCueZones(currentCard, []); }
      if (card) { card.classList.add("current"); }
      currentCard = card;
    }
    var sentence = find(data.sentences, ms);
    var element = sentence && sentence.target ? document.getElementById(sentence.target) : null;
    if (element !== currentSentence) {
      if (currentSentence) { currentSentence.classList.remove("speaking"); }
      if (element) { element.classList.add("speaking"); }
      currentSentence = element;
      var cueZones = element && element.dataset.zones ? element.dataset.zones.split(" ") : [];
      setCueZones(currentCard, cueZones);
    }
    if (segment) {
      now.textContent = segment.label;
    } else {
      now.textContent = ms < (data.segments.length ? data.segments[0].start : 0)
        ? data.intro : data.ending;
    }
    if (playhead) {
      playhead.style.left = Math.min(100, ms * 100 / data.total).toFixed(3) + "%";
    }
  }

  function update() { show(Math.round(audio.currentTime * 1000)); }
  audio.addEventListener("timeupdate", update);
  audio.addEventListener("seeked", update);
  audio.addEventListener("play", update);

  function seek(ms) {
    audio.currentTime = ms / 1000;
    show(ms);
  }

  cards.forEach(function (card) {
    card.addEventListener("click", function () {
      seek(firstStart(Number(card.dataset.step) + 1));
    });
  });
  var bars = document.querySelectorAll(".chart .bar");
  for (var i = 0; i < bars.length; i++) {
    bars[i].addEventListener("click", function (event) {
      event.preventDefault();
      seek(Number(this.dataset.startMs));
      var card = document.getElementById(this.getAttribute("href").slice(1));
      if (card) { card.scrollIntoView({ block: "nearest" }); }
    });
  }
  window.masseurGuide = { show: show, seek: seek };
})();
