"""A small geocoding server on loopback answering as Nominatim (/search, format=jsonv2) and Pelias (/v1/search)
do in their documentation, from a gazetteer of three real places; it records every request it gets."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

PLACES = {  # what it knows, by lower-case query
    "brooklyn museum": ("Brooklyn Museum, 200, Eastern Parkway, Crown Heights, Brooklyn, Kings County, New York, "
                        "11238, United States", 40.6712, -73.9636),
    "grand army plaza": ("Grand Army Plaza, Park Slope, Brooklyn, New York, 11238, United States", 40.6741, -73.9701),
}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        url = urlparse(self.path)
        args = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.server.asked.append((url.path, args))
        query = (args.get("q") or args.get("text") or "").lower()
        if query == "slow place":
            time.sleep(2)
        if query == "broken place":
            return self.answer(200, b"<html>maintenance</html>")
        if query == "failing place":
            return self.answer(503, b"overloaded")
        found = [PLACES[query]] if query in PLACES else []
        if url.path == "/search":  # Nominatim jsonv2: a list; lat and lon are strings
            body = [{"place_id": 1000 + i, "licence": "Data © OpenStreetMap contributors, ODbL 1.0.",
                     "osm_type": "way", "osm_id": 1, "lat": f"{lat}", "lon": f"{lon}", "category": "tourism",
                     "type": "museum", "place_rank": 30, "importance": 0.5, "addresstype": "tourism",
                     "name": name.split(",")[0], "display_name": name,
                     "boundingbox": [f"{lat - 0.001}", f"{lat + 0.001}", f"{lon - 0.001}", f"{lon + 0.001}"]}
                    for i, (name, lat, lon) in enumerate(found)]
        elif url.path == "/v1/search":  # Pelias: GeoJSON, coordinates [lon, lat]
            body = {"geocoding": {"version": "0.2"}, "type": "FeatureCollection", "features": [
                {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                 "properties": {"id": "1", "layer": "venue", "name": name.split(",")[0], "label": name}}
                for name, lat, lon in found]}
        else:
            return self.answer(404, b"not here")
        return self.answer(200, json.dumps(body).encode(), "application/json")

    def answer(self, status, body, kind="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):  # a client that gave up on the slow answer: not news
        pass


@pytest.fixture(scope="session")
def geocoding_server():
    server = Server(("127.0.0.1", 0), Handler)
    server.asked = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def geocoder(app, geocoding_server, monkeypatch):
    """geocoder("nominatim" | "pelias"): the app asks the local server; returns the list of requests it got."""
    def use(kind):
        path = "/search" if kind == "nominatim" else "/v1/search"
        monkeypatch.setitem(app.config, "GEOCODER", kind)
        monkeypatch.setitem(app.config, "GEOCODER_URL", f"http://127.0.0.1:{geocoding_server.server_port}{path}")
        monkeypatch.setitem(app.config, "GEOCODER_TIMEOUT", 0.5)
        geocoding_server.asked.clear()
        return geocoding_server.asked

    geocoding_server.asked.clear()
    return use
