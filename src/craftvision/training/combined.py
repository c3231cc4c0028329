"""Several frozen backbones on one input, their pooled features concatenated, one linear classifier.

A model named ``"tf_efficientnet_lite0+tf_efficientnet_lite1"`` is built by `create_model` as a
`ConcatBackbones`. It offers the part of timm's model API the rest of the training code uses
(`forward_features`, `forward_head(pre_logits=...)`, `get_classifier`, `num_features`,
`pretrained_cfg`), so head training, ONNX export (one file holding every backbone, served by one
onnxruntime session), class activation maps and the bench handle it like a single backbone. All
members see the same preprocessed tensor: the preprocessing is that of the first member.
"""

from __future__ import annotations

import torch
from torch import nn

SEPARATOR = "+"


def member_names(name: str) -> list[str]:
    """The backbone names of a combined name ('a+b' -> ['a', 'b']); a plain name gives itself."""
    return [n.strip() for n in name.split(SEPARATOR)]


class ConcatBackbones(nn.Module):
    """Members' feature maps concatenated on the channel axis (same stride, so the same h x w).

    Pooling is a per-channel mean, so the pooled embedding is the concatenation of the members'
    pooled embeddings, in member order: (N, sum of the members' num_features).
    """

    def __init__(self, members: list[nn.Module], names: list[str], num_classes: int, drop_rate: float = 0.0):
        super().__init__()
        for m in members:
            m.reset_classifier(0)  # the members' own heads are never used
        self.members = nn.ModuleList(members)
        self.member_names = list(names)
        self.num_features = sum(m.num_features for m in members)
        self.drop_rate = drop_rate
        self.classifier = nn.Linear(self.num_features, num_classes)
        self.pretrained_cfg = dict(members[0].pretrained_cfg)  # the shared preprocessing

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:  # (N, 3, H, W) -> (N, D, h, w)
        return torch.cat([m.forward_features(x) for m in self.members], dim=1)

    def forward_head(self, fmap: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        emb = fmap.mean(dim=(2, 3))  # (N, D)
        if pre_logits:
            return emb
        return self.classifier(nn.functional.dropout(emb, self.drop_rate, self.training))

    def get_classifier(self) -> nn.Module:
        return self.classifier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))


def create_combined(name: str, num_classes: int, pretrained: bool, drop_rate: float, make_member) -> ConcatBackbones:
    """The combined model of `name`; `make_member(name, num_classes, pretrained)` builds each member
    (`models.create_model`, passed in so that this module does not import it back)."""
    names = member_names(name)
    members = [make_member(n, 1000 if pretrained else num_classes, pretrained) for n in names]
    return ConcatBackbones(members, names, num_classes, drop_rate)
