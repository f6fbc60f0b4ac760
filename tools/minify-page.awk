# SPDX-License-Identifier: GPL-2.0-or-later
# The page as the daemon serves it: src/page.html without its comments and without the line
# breaks that mean nothing (mk/page.mk runs this; the source stays as written). Only changes
# that cannot alter what the browser builds or runs, so no tokens are touched:
#   - a line that is only an HTML comment, or only a /* */ comment in the script, goes;
#   - a `// comment` after the last `;` of a script line goes (not in a string: the comment
#     part has no quote);
#   - in the markup, a break between `>` and `<` goes (the page's elements there are blocks
#     and table cells, which ignore that white space);
#   - in the style, a break after `}`, `{`, `;` or `,` goes;
#   - in the script, a break after `;`, `{` or `,` goes: automatic semicolon insertion never
#     happens there, so joining the lines parses the same.
# Every other break stays. POSIX awk (Debian's mawk and gawk, busybox awk).

function emit(line) {
	if (out != "" && !(join_after(out) && join_before(line)))
		out = out "\n"
	out = out line
	last_mode = mode
}

function join_after(s, c) {
	c = substr(s, length(s), 1)
	if (last_mode == "style")
		return c == "}" || c == "{" || c == ";" || c == ","
	if (last_mode == "script")
		return c == ";" || c == "{" || c == ","
	return c == ">"
}

function join_before(s) {
	if (last_mode == "html" && mode == "html")
		return substr(s, 1, 1) == "<"
	return 1
}

BEGIN { mode = "html"; last_mode = "html"; out = "" }

{
	line = $0
	if (mode == "html" && line ~ /^[ \t]*<!--.*-->[ \t]*$/)
		next
	if (mode == "script" && line ~ /^[ \t]*\/\*.*\*\/[ \t]*$/)
		next
	if (mode == "script" && line ~ /;[ \t]*\/\/[^'"`]*$/)
		sub(/[ \t]*\/\/[^'"`]*$/, "", line)
	emit(line)
	# The mode of the next line: a <style> or <script> that this line opens and leaves open.
	if (line ~ /<style>$/)
		mode = "style"
	else if (line ~ /<script>$/)
		mode = "script"
	else if (line ~ /^<\/(style|script)>/)
		mode = "html"
}

END { print out }
