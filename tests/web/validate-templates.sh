#!/bin/sh
# Validates HTML pages with Debian's tidy (HTML5 mode): any error, or any
# warning not listed in tests/web/tidy-allow.txt (gaps in tidy 5.6's HTML5
# knowledge, such as aria-current), fails.
#
#   tests/web/validate-templates.sh FILE.html...   check these files
#   tests/web/validate-templates.sh                render every template with
#       each sample model in tests/web/models (also with hostile values) into
#       build/web-pages/ and check them all (this runs build/tests/test_tmpl,
#       which calls this script back with the files)
#
# The end-to-end tests can pass pages fetched from a running sirt as FILEs.
set -u
here=$(dirname "$0")
allow="$here/tidy-allow.txt"

if [ $# -eq 0 ]; then
	build=${BUILD:-build}
	make -s "$build/tests/test_tmpl" || exit 1
	exec "$build/tests/test_tmpl"
fi

command -v tidy >/dev/null 2>&1 || { echo "validate-templates: tidy is not installed" >&2; exit 1; }
status=0
for f in "$@"; do
	out=$(tidy -q -e "$f" 2>&1)
	rc=$?
	bad=$(printf '%s\n' "$out" | grep -v -F -f "$allow" | grep -E 'Warning:|Error:')
	if [ "$rc" -ge 2 ] || [ -n "$bad" ]; then
		echo "validate-templates: $f:" >&2
		printf '%s\n' "$bad" >&2
		status=1
	fi
done
exit $status
