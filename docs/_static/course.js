/* The course site's own behaviour (added to every page by docs/_ext/course_site.py).
 *
 * 1. The sidebar (☰) and "On this page" buttons work at every width. pydata-sphinx-theme 0.17.1 and
 *    sphinx-book-theme 1.3.0 attach their click handlers to the FIRST element with the class .primary-toggle
 *    (.secondary-toggle), a copy in the top bar that is hidden on this layout (pydata-sphinx-theme#2451,
 *    sphinx-book-theme PR #991); the visible buttons had no handler. A click on any other copy is forwarded to
 *    the first, whose handlers open the drawer (narrow screens) or collapse the sidebar (wide screens).
 *    Following a link in a drawer closes it (a section link otherwise jumps behind the open drawer).
 * 2. "Solution to Exercise N" titles: tapping the exercise link inside the title opens the solution instead of
 *    jumping back to the exercise (on a phone the link fills most of the title).
 * 3. Figures drawn by a cell open full size: each output image is wrapped in a link to the image file.
 * 4. A display equation wider than its column scrolls sideways and gets a visible hint saying so
 *    (class course-wide on the div.math, hint text from CSS), re-checked when the window is resized.
 * 5. The language switcher keeps the reader's place: the #section (labels are the same in both editions)
 *    and, on the search page, the query (?q=...) go along to the other edition.
 */
(function () {
  "use strict";

  function forwardToggles(selector) {
    const all = Array.from(document.querySelectorAll(selector));
    const handled = all[0];
    all.slice(1).forEach((button) => {
      button.addEventListener("click", (event) => {
        event.preventDefault();
        event.stopPropagation();
        handled.click();
      });
    });
  }

  function drawersCloseOnFollowedLinks() {
    // a section link in the "On this page" drawer jumps within the page: close the drawer so the reader sees it
    ["pst-primary-sidebar-modal", "pst-secondary-sidebar-modal"].forEach((id) => {
      const dialog = document.getElementById(id);
      if (!dialog) return;
      dialog.addEventListener("click", (event) => {
        const link = event.target.closest("a[href]");
        if (!link || !dialog.open) return;
        const url = new URL(link.href, location.href);
        if (url.pathname === location.pathname && url.hash) {
          // jump only once the drawer is closed and its content is back in the page (the theme restores the
          // focus to the button on close, which would move the page again)
          event.preventDefault();
          dialog.addEventListener("close", () => setTimeout(() => {
            history.pushState(null, "", url.hash);
            const target = document.getElementById(decodeURIComponent(url.hash.slice(1)));
            if (target) target.scrollIntoView();
          }, 0), { once: true });
        }
        dialog.close();
      });
    });
  }

  function solutionTitlesOpenSolutions() {
    document.querySelectorAll(".solution.dropdown > .admonition-title a").forEach((link) => {
      // sphinx-togglebutton's handler on the title does not recognise a click on the link: press its button
      link.addEventListener("click", (event) => {
        event.preventDefault();
        event.stopPropagation();
        const button = link.closest(".admonition-title").querySelector(".toggle-button");
        if (button) button.click();
      });
    });
  }

  function figuresOpenFullSize() {
    document.querySelectorAll("article .cell_output img, article figure img").forEach((img) => {
      if (img.closest("a")) return;
      const link = document.createElement("a");
      link.href = img.getAttribute("src");
      link.className = "course-full-size";
      link.title = document.documentElement.lang.startsWith("zh") ? "查看原尺寸大图" : "Open the figure full size";
      img.replaceWith(link);
      link.appendChild(img);
    });
  }

  // The sections of a page, in document order. Twins have the same sections in the same order (a site test
  // checks it), but a section without a label gets an id made from its title, which differs between editions.
  function pageSections() {
    return [...document.querySelectorAll("article section[id]")];
  }

  // The position among sections of the section an element is in (-1: none).
  function sectionIndexOf(element, sections) {
    return sections.indexOf(element.closest("article section[id]"));
  }

  // Where the reader is, for the twin page: a #target that is not a section (an exercise, an equation: labels,
  // the same in both editions) is kept, with the position of its section as a fallback; a section (the #target,
  // or else the last one whose title has scrolled past the top quarter of the window) is passed by its position
  // alone, since its id may come from its title. index is -1 at the top of the page.
  function readersPlace() {
    const sections = pageSections();
    const id = decodeURIComponent(window.location.hash.slice(1));
    const target = id ? document.getElementById(id) : null;
    if (target && !sections.includes(target)) {
      return { hash: window.location.hash, index: sectionIndexOf(target, sections) };
    }
    let section = target;
    if (!section) {
      for (const candidate of sections.slice(1)) {
        if (candidate.getBoundingClientRect().top > window.innerHeight / 4) break;
        section = candidate;
      }
    }
    return { hash: "", index: section ? sections.indexOf(section) : -1 };
  }

  function switcherKeepsThePlace() {
    document.querySelectorAll("a.course-lang-switch").forEach((link) => {
      link.addEventListener("click", () => {
        const url = new URL(link.getAttribute("href"), window.location.href);
        if (/\/search\.html$/.test(window.location.pathname)) url.search = window.location.search;
        const place = readersPlace();
        url.hash = place.hash;
        if (place.index >= 0) url.searchParams.set("course-section", String(place.index));
        link.href = url.href;
      });
    });
  }

  // Arriving from the other edition (see readersPlace): keep a #target that is on this page in the section at
  // the reader's position; otherwise go to that section (and name it in the address), and drop the
  // course-section parameter from the address.
  function arriveAtTheSameSection() {
    const url = new URL(window.location.href);
    const index = url.searchParams.get("course-section");
    if (index === null) return;
    url.searchParams.delete("course-section");
    const sections = pageSections();
    const id = decodeURIComponent(url.hash.slice(1));
    const target = id && document.getElementById(id);
    const inPlace = target && sectionIndexOf(target, sections) === Number(index);
    const section = inPlace ? null : sections[Number(index)];
    if (section) url.hash = section.id;
    history.replaceState(history.state, "", url.href);
    if (!section) return;
    section.scrollIntoView();
    whenMathIsTypeset(() => section.scrollIntoView()); // typeset equations change the height above it
  }

  function markWideEquations() {
    document.querySelectorAll("article div.math").forEach((math) => {
      const box = math.querySelector("mjx-container");
      if (!box) return;
      math.classList.toggle("course-wide", box.scrollWidth > box.clientWidth + 1);
    });
  }

  function whenMathIsTypeset(callback) {
    const mj = window.MathJax;
    if (mj && mj.startup && mj.startup.promise) {
      mj.startup.promise.then(callback);
    } else if (document.querySelector("script[src*='mathjax']")) {
      window.addEventListener("load", () => whenMathIsTypeset(callback), { once: true });
    }
  }

  function init() {
    forwardToggles(".primary-toggle");
    forwardToggles(".secondary-toggle");
    drawersCloseOnFollowedLinks();
    solutionTitlesOpenSolutions();
    figuresOpenFullSize();
    switcherKeepsThePlace();
    arriveAtTheSameSection();
    // data-course-math="checked" on <html> says the equations have been measured at the current width (the
    // browser tests wait for it, after typesetting and after a resize)
    let typeset = !document.querySelector("script[src*='mathjax']");
    whenMathIsTypeset(() => {
      typeset = true;
      markWideEquations();
      document.documentElement.dataset.courseMath = "checked";
    });
    let pending = null;
    window.addEventListener("resize", () => {
      clearTimeout(pending);
      pending = setTimeout(() => {
        markWideEquations();
        if (typeset) document.documentElement.dataset.courseMath = "checked";
      }, 150);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
