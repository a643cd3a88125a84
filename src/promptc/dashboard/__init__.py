"""`promptc dashboard`: a read-only web view of the release registry for the people who own
prompts: what is live where, rollouts and the guard's decisions, the audit history with
"what was live at …", diffs between versions and live signals per version.

Server-rendered (Flask and Jinja2 with autoescaping), charts drawn as SVG on the server, no
scripts, served by waitress. Needs the `dashboard` extra: `pip install 'promptc[dashboard]'`.
"""
