import hashlib
import logging
import os
import subprocess
import tempfile

import jwt
import pickle
import pymongo
import requests
import urllib
import urllib.request
import yaml
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import algorithms, modes
from flask import Flask
from jinja2 import Environment

logger = logging.getLogger(__name__)
app = Flask(__name__)
JWT_KEY = "s3cr3t-signing-key"


def commands(user_dir):
    # ruleid: python-subprocess-shell-true
    subprocess.run(f"tar czf backup.tgz {user_dir}", shell=True)
    # ruleid: python-subprocess-shell-true
    os.system("rm -rf " + user_dir)
    # ok: python-subprocess-shell-true
    subprocess.run(["tar", "czf", "backup.tgz", user_dir])
    # ok: python-subprocess-shell-true
    subprocess.run("make clean", shell=True)


def loading(stream, blob):
    # ruleid: python-yaml-unsafe-load
    yaml.load(stream, Loader=yaml.Loader)
    # ruleid: python-yaml-unsafe-load
    yaml.load(stream)
    # ok: python-yaml-unsafe-load
    yaml.load(stream, Loader=yaml.SafeLoader)
    # ok: python-yaml-unsafe-load
    yaml.safe_load(stream)
    # ruleid: python-unsafe-deserialization
    pickle.loads(blob)
    # ruleid: python-eval-non-literal
    eval(blob)
    # ok: python-eval-non-literal
    eval("1 + 1")


def ruamel(path):
    from ruamel.yaml import YAML
    yaml = YAML(typ="safe")
    # ok: python-yaml-unsafe-load
    return yaml.load(path)


def web(url):
    # ruleid: python-requests-verify-false
    requests.get(url, verify=True)
    # ok: python-requests-verify-false
    requests.get(url, timeout=5)
    # ruleid: python-cleartext-http-request
    requests.get("http://api.payments.com/v1/charge", timeout=5)
    # ok: python-cleartext-http-request
    requests.get("http://localhost:8080/health", timeout=5)
    # ok: python-cleartext-http-request
    requests.get("https://api.payments.com/v1/charge", timeout=5)


def sql(cur, name, conn):
    # ruleid: python-sql-string-formatting, python-sql-built-from-strings
    cur.execute("SELECT * FROM users WHERE name = '%s'" % name)
    # ok: python-sql-string-formatting
    cur.execute("SELECT * FROM users WHERE name = ?", (name,))
    query = "SELECT id FROM tags WHERE tag = '" + name + "'"
    # ruleid: python-sql-built-from-strings
    conn.query(query)
    # ok: python-sql-built-from-strings
    conn.query("SELECT id FROM tags WHERE tag = ?", name)


def crypto(key, data):
    # ruleid: python-tempfile-mktemp
    tempfile.mktemp()
    # ruleid: python-weak-hash
    hashlib.md5(data)
    # ok: python-weak-hash
    hashlib.md5(data, usedforsecurity=False)
    # ruleid: python-jinja2-autoescape-off
    Environment(autoescape=False)
    # ruleid: python-weak-crypto-primitive
    hashes.SHA1()
    # ok: python-weak-crypto-primitive
    hashes.SHA256()
    # ruleid: python-weak-crypto-primitive
    algorithms.ARC4(key)
    # ruleid: python-weak-crypto-primitive
    modes.ECB()
    # ok: python-weak-crypto-primitive
    modes.GCM(data)
    # ruleid: python-weak-ec-curve
    ec.generate_private_key(ec.SECP192R1())
    # ok: python-weak-ec-curve
    ec.generate_private_key(ec.SECP384R1())


def tokens(token, payload, key_from_config):
    # ruleid: python-jwt-signature-not-verified
    jwt.decode(token, options={"verify_signature": False})
    # ruleid: python-jwt-signature-not-verified
    jwt.decode(token, key_from_config, algorithms=["none"])
    # ok: python-jwt-signature-not-verified
    jwt.decode(token, key_from_config, algorithms=["HS256"])
    # ruleid: python-jwt-hardcoded-secret
    jwt.encode(payload, "secret", algorithm="HS256")
    # ruleid: python-jwt-hardcoded-secret
    jwt.encode(payload, JWT_KEY, algorithm="HS256")
    # ok: python-jwt-hardcoded-secret
    jwt.encode(payload, key_from_config, algorithm="HS256")


# ruleid: python-flask-debug
app.run(host="127.0.0.1", debug=True)
# ok: python-flask-debug
app.run(host="127.0.0.1")
# ruleid: python-hardcoded-secret-key
app.secret_key = "f3a9c1d2e4b5"
# ok: python-hardcoded-secret-key
app.secret_key = os.environ["SECRET_KEY"]
# ruleid: python-hardcoded-secret-key
app.config["SECRET_KEY"] = "a-long-and-very-guessable-key"


def cookies(resp, sid):
    # ruleid: python-cookie-httponly-disabled, python-cookie-without-samesite, python-cookie-without-secure
    resp.set_cookie("sid", sid, httponly=False)
    # ok: python-cookie-httponly-disabled, python-cookie-without-samesite, python-cookie-without-secure
    resp.set_cookie("sid", sid, secure=True, httponly=True, samesite="Lax")


def passwords(request, user):
    # ruleid: python-empty-password-default
    password = request.data.get("password", "")
    user.set_password(password)


# ruleid: python-empty-password-default
def create_user(email, password=""):
    user = User(email=email)
    user.set_password(password)
    return user


# ok: python-empty-password-default
def create_user_safely(email, password=None):
    user = User(email=email)
    user.set_password(password)
    return user


def logs(api_key, user):
    # ruleid: python-secret-logged
    logger.info("calling with key %s", api_key)
    # ok: python-secret-logged
    logger.info("calling for user %s", user)


def opener(url):
    # ruleid: python-urllib-non-literal-url
    urllib.request.urlretrieve(url, "/tmp/out")
    # ok: python-urllib-non-literal-url
    urllib.request.urlretrieve("https://example.org/file", "/tmp/out")


# ruleid: python-mongodb-cr-auth
pymongo.MongoClient("db.internal", authMechanism="MONGODB-CR")
# ok: python-mongodb-cr-auth
pymongo.MongoClient("db.internal", authMechanism="SCRAM-SHA-256")
