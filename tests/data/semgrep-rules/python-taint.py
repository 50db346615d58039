import os
import shutil
import subprocess

import requests
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from fastapi import FastAPI
from flask import Flask, render_template_string, request, send_file
from werkzeug.utils import secure_filename

app = Flask(__name__)
api = FastAPI()
UPLOADS = "/srv/uploads"


@app.get("/users")
def users(db):
    name = request.args["name"]
    query = f"SELECT id FROM users WHERE name = '{name}'"
    # ruleid: python-tainted-sql
    db.execute(query)
    # ok: python-tainted-sql
    db.execute("SELECT id FROM users WHERE name = ?", (name,))
    # ok: python-tainted-sql
    db.execute("SELECT id FROM users WHERE id = %d" % int(request.args["id"]))


def django_view(request):
    client = request.GET.get("client")
    # ruleid: python-tainted-sql
    Person.objects.raw("SELECT * FROM people WHERE client = '%s'" % client)
    # ok: python-tainted-sql
    Person.objects.raw("SELECT * FROM people WHERE client = %s", [client])


@app.get("/download")
def download():
    path = os.path.join(UPLOADS, request.args["file"])
    # ruleid: python-tainted-path
    return send_file(path)


@app.get("/download-safe")
def download_safe():
    path = os.path.join(UPLOADS, secure_filename(request.args["file"]))
    # ok: python-tainted-path
    return send_file(path)


@app.post("/move")
def move():
    target = os.path.abspath(UPLOADS + request.form["to"])
    if not target.startswith(UPLOADS):
        return "no", 400
    # ok: python-tainted-path
    shutil.move("/tmp/upload", target)
    return "ok"


@api.get("/files/{name}")
async def read_file(name: str):
    # ruleid: python-tainted-path
    with open(os.path.join(UPLOADS, name)) as fh:
        return fh.read()


def fetch(request):
    host = request.POST.get("host")
    # ruleid: python-tainted-ssrf
    requests.get(f"https://{host}/status", timeout=5)
    # ok: python-tainted-ssrf
    requests.get("https://status.example.com/%s" % host, timeout=5)


def go_back(request):
    url = request.POST.get("next")
    # ruleid: python-tainted-redirect
    return HttpResponseRedirect(url)


def go_back_safely(request):
    url = request.POST.get("next")
    ok = url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()})
    if ok:
        # ok: python-tainted-redirect
        return redirect(url)
    return redirect("/")


def hello(request):
    name = request.GET.get("name", "")
    # ruleid: python-tainted-xss
    return HttpResponse("<h1>Hello " + name + "</h1>")


@app.route("/hi")
def hi():
    name = request.args.get("name", "")
    # ruleid: python-tainted-xss
    return "<p>Hi " + name + "</p>"


@app.route("/hi-escaped")
def hi_escaped():
    from markupsafe import escape

    # ok: python-tainted-xss
    return "<p>Hi " + escape(request.args.get("name", "")) + "</p>"


@app.route("/page")
def page():
    # ruleid: python-tainted-template
    return render_template_string(request.args["tpl"])


@app.route("/page-ok")
def page_ok():
    # ok: python-tainted-template
    return render_template_string("<p>{{ name }}</p>", name=request.args["name"])


@app.route("/login")
def login():
    user = request.form["user"]
    # ruleid: python-tainted-log
    app.logger.info(f"login attempt for {user}")
    # ok: python-tainted-log
    app.logger.info("login attempt for %s", user.replace("\n", ""))
    return "ok"


def mail(request):
    from django.core.mail import send_mail

    body = request.POST.get("body_html")
    # ruleid: python-tainted-email-html
    send_mail("subject", "text", "a@b.c", ["d@e.f"], html_message=body)
