import torch

from sketchbook import lossnet
from sketchbook.lossnet import LossNetwork
from sketchbook.modelfile import save_model
from sketchbook.network import TransformerNet
from sketchbook.score import COLUMNS, label, score_models
from sketchbook.settings import TrainSettings

from helpers import REPO


def random_loss_network() -> LossNetwork:
    """VGG16 with seeded random weights: the scores' yardstick without the real weights."""
    sd, conv, _ = lossnet.random_weights(0)
    feats = lossnet.vgg16_features()
    feats.load_state_dict(sd)
    return LossNetwork(feats, conv)


def test_labels_follow_the_seed():
    assert [label(r, 3) for r in (1, 2, 3)] == ["really good", "less good", "weird"]
    assert [label(r, 2) for r in (1, 2)] == ["really good", "less good"]


def test_scores_table_ranks_variants_per_sketch(assets, tmp_path):
    net = random_loss_network()
    models, settings = {}, {}
    for i, (sketch, variant) in enumerate([("a", "good"), ("a", "weird"), ("a", "less"), ("b", "good")]):
        torch.manual_seed(i)
        path = tmp_path / f"{sketch}-{variant}.pt"
        save_model(TransformerNet(8, 1), path)
        models[(sketch, variant)] = path
        settings[(sketch, variant)] = TrainSettings(seed=i).to_dict()
    df = score_models(models, {"a": assets / "lines.png", "b": assets / "other.png"}, settings,
                      [assets / "content" / "photo2.png"], net, torch.device("cpu"), size=48)
    assert list(df.columns) == COLUMNS
    a = df[df["sketch"] == "a"]
    assert sorted(a["rank"]) == [1, 2, 3]
    assert list(a.sort_values("rank")["label"]) == ["really good", "less good", "weird"]
    assert list(a["score"]) == sorted(a["score"])  # sorted by rank
    assert df[df["sketch"] == "b"]["rank"].tolist() == [1]
    assert ((df["paper"] >= 0) & (df["paper"] <= 1) & (df["ink"] >= 0) & (df["ink"] <= 1)).all()
    assert df["seed"].tolist() != [0, 0, 0, 0]
    # fidelity: each model against its own sketch and the nearest other
    assert set(df[df["sketch"] == "a"]["nearest_other"]) == {"b"}
    assert set(df[df["sketch"] == "b"]["nearest_other"]) == {"a"}
    assert (df["own_other"] > 0).all() and (df["hand_distance"] > 0).all()
    assert ((df["edge_corr"] >= -1) & (df["edge_corr"] <= 1)).all()
    assert ((df["structure_corr"] >= -1) & (df["structure_corr"] <= 1)).all()
    assert df["face_corr"].isna().all()  # no face in the held-out picture
    # steadiness on known motions: luminance in [0, 1], squared; untrained nets are not exactly steady
    assert ((df["warp_error"] > 0) & (df["warp_error"] < 1)).all()


def test_single_sketch_has_no_own_other(assets, tmp_path):
    path = tmp_path / "m.pt"
    save_model(TransformerNet(8, 1), path)
    df = score_models({("a", "good"): path}, {"a": assets / "lines.png"}, {("a", "good"): TrainSettings().to_dict()},
                      [assets / "content" / "photo2.png"], random_loss_network(), torch.device("cpu"), size=48)
    assert df["own_other"].isna().all() and df["nearest_other"].tolist() == [""]


def test_faces_in_the_held_out_photos_are_scored(tmp_path):
    """The demo's astronaut as the held-out photo: her face is found and its structure scored."""
    path = tmp_path / "m.pt"
    torch.manual_seed(0)
    save_model(TransformerNet(8, 1), path)
    sketch = REPO / "demo/sketches/hatch.png"
    df = score_models({("a", "good"): path}, {"a": sketch}, {("a", "good"): TrainSettings().to_dict()},
                      [REPO / "demo/content/astronaut.jpg"], random_loss_network(), torch.device("cpu"), size=180)
    assert -1 <= float(df["face_corr"].iloc[0]) <= 1
