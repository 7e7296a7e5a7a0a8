/*
 * sirt — progressive enhancement only. Every page works without this file;
 * it is loaded with <script src defer> because the CSP forbids inline script.
 *
 *   <time datetime="2026-03-04T17:43:00Z">   shown in the browser's time zone,
 *                                             with the UTC time in the title
 *   <time datetime="..." data-tz>             already rendered in the user's
 *                                             zone by sirt: left alone
 *   <span data-deadline="ISO">                a live countdown ("2h 13m left",
 *                                             "overdue by 4m"); class is-soon
 *                                             under an hour, is-overdue after
 *   <form data-confirm="Close INC-1?">        asks before submitting; also on a
 *   <button data-confirm="...">               submit button for that button only
 */
(function () {
	"use strict";

	var SOON_MS = 60 * 60 * 1000;

	function pad(n) {
		return (n < 10 ? "0" : "") + n;
	}

	function utcText(d) {
		return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) +
			" " + pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + " UTC";
	}

	var localFormat = null;
	try {
		localFormat = new Intl.DateTimeFormat(undefined, {
			year: "numeric", month: "short", day: "numeric",
			hour: "2-digit", minute: "2-digit", timeZoneName: "short"
		});
	} catch (e) {
		localFormat = null;
	}

	function localTimes(root) {
		var els = root.querySelectorAll("time[datetime]");
		for (var i = 0; i < els.length; i++) {
			var el = els[i];
			var v = el.getAttribute("datetime");
			if (v.indexOf("T") < 0 || el.hasAttribute("data-local-done") ||
			    el.hasAttribute("data-tz"))
				continue; /* a date without a time has no zone to convert */
			var d = new Date(v);
			if (isNaN(d.getTime()))
				continue;
			el.setAttribute("title", utcText(d));
			if (localFormat)
				el.textContent = localFormat.format(d);
			el.setAttribute("data-local-done", "");
		}
	}

	function span(ms) {
		var s = Math.floor(Math.abs(ms) / 1000);
		var d = Math.floor(s / 86400);
		var h = Math.floor((s % 86400) / 3600);
		var m = Math.floor((s % 3600) / 60);
		if (d > 0)
			return d + "d " + h + "h";
		if (h > 0)
			return h + "h " + pad(m) + "m";
		if (m > 0)
			return m + "m " + pad(s % 60) + "s";
		return (s % 60) + "s";
	}

	var countdowns = [];

	function collectCountdowns() {
		var els = document.querySelectorAll("[data-deadline]");
		for (var i = 0; i < els.length; i++) {
			var t = Date.parse(els[i].getAttribute("data-deadline"));
			if (isNaN(t))
				continue;
			els[i].classList.add("countdown");
			if (!els[i].hasAttribute("title"))
				els[i].setAttribute("title", "Deadline " + utcText(new Date(t)));
			countdowns.push({ el: els[i], at: t });
		}
	}

	function tick() {
		var now = Date.now();
		for (var i = 0; i < countdowns.length; i++) {
			var c = countdowns[i];
			var left = c.at - now;
			var text = left >= 0 ? span(left) + " left" : "overdue by " + span(left);
			if (c.el.textContent !== text)
				c.el.textContent = text;
			c.el.classList.toggle("is-overdue", left < 0);
			c.el.classList.toggle("is-soon", left >= 0 && left < SOON_MS);
		}
	}

	function confirmSubmit(ev) {
		var form = ev.target;
		var btn = ev.submitter;
		var msg = (btn && btn.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
		if (msg && !window.confirm(msg))
			ev.preventDefault();
	}

	function start() {
		localTimes(document);
		collectCountdowns();
		if (countdowns.length) {
			tick();
			window.setInterval(tick, 1000);
		}
		document.addEventListener("submit", confirmSubmit, true);
	}

	if (document.readyState === "loading")
		document.addEventListener("DOMContentLoaded", start);
	else
		start();
})();
