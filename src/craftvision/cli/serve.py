"""`craftvision serve`: the app (artisan view, customs review, model card)."""

from __future__ import annotations

from .common import add_data_dir, add_model


def register(sub) -> None:
    sv = sub.add_parser("serve", help="start the app (artisan view, customs review, model card)")
    sv.add_argument("--host", default="127.0.0.1")
    sv.add_argument("--port", type=int, default=7860)
    add_data_dir(sv, help="folder of the review store (SQLite + photos)")
    add_model(sv)
    sv.add_argument("--max-photos", type=int, default=8, help="photos per request")
    sv.add_argument("--max-photo-mb", type=int, default=20, help="largest upload, enforced by the server")
    sv.set_defaults(func=cmd_serve)


def cmd_serve(args) -> int:
    from craftvision_app import build_app, launch_app

    from ..predictor import load_predictor
    from ..review import ReviewStore
    from ..taxonomy import load_taxonomy

    predictor = load_predictor(args.model, spinning=False)
    store = ReviewStore(args.data_dir)
    demo = build_app(predictor, store, load_taxonomy(), max_photos=args.max_photos, max_photo_mb=args.max_photo_mb)
    print(f"craftvision app on http://{args.host}:{args.port} (model {predictor.version}, data in {store.data_dir})", flush=True)
    launch_app(demo, args.host, args.port, max_photo_mb=args.max_photo_mb)
    return 0
