"""R-GCN encoder with a DistMult decoder (Schlichtkrull et al., 2018).

For ontologies where a few hierarchy relations (``subClassOf``, ``broader``,
``rdf:type``) dominate, a shallow model sees each entity only through its own
triples; an R-GCN lets a class borrow strength from its neighbourhood. The
encoder runs ``torch_geometric.nn.RGCNConv`` layers (basis decomposition)
over the *training* graph with inverse edges and self-loops, then a DistMult
decoder scores triples on the encoded entities.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.nn import RGCNConv

from model.kge.scoring import DistMultScoring


class RGCNDistMult(DistMultScoring, torch.nn.Module):
    """R-GCN encoder + DistMult decoder.

    Args:
        num_nodes (int): Entities.
        num_relations (int): Relations scored by the decoder.
        hidden_channels (int): Dimension of inputs, hidden layers and outputs.
        edge_index (Tensor): ``[2, E]`` training edges (heads, tails).
        edge_type (Tensor): ``[E]`` relation ids of those edges.
        num_layers (int): R-GCN layers. (default: ``2``)
        num_bases (int): Basis matrices shared by all relations. (default: ``4``)
        dropout (float): Dropout between layers. (default: ``0.2``)
    """

    def __init__(
        self,
        num_nodes: int,
        num_relations: int,
        hidden_channels: int,
        edge_index: Tensor,
        edge_type: Tensor,
        num_layers: int = 2,
        num_bases: int = 4,
        dropout: float = 0.2,
    ) -> None:
        super().__init__()
        self.num_nodes = num_nodes
        self.num_relations = num_relations
        self.hidden_channels = hidden_channels
        self.dropout = dropout
        # Message-passing graph: training edges plus their inverses (types shifted).
        src, dst = edge_index
        self.register_buffer("mp_edge_index", torch.cat([edge_index, torch.stack([dst, src])], dim=1))
        self.register_buffer("mp_edge_type", torch.cat([edge_type, edge_type + num_relations]))
        conv_relations = 2 * num_relations
        self.node_emb = torch.nn.Embedding(num_nodes, hidden_channels)
        self.convs = torch.nn.ModuleList(
            RGCNConv(hidden_channels, hidden_channels, conv_relations, num_bases=min(num_bases, conv_relations))
            for _ in range(num_layers)
        )
        self.rel_emb = torch.nn.Embedding(num_relations, hidden_channels)
        self._cache: Tensor | None = None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Xavier-initialize inputs and decoder; reset the convolutions."""
        torch.nn.init.xavier_uniform_(self.node_emb.weight)
        torch.nn.init.xavier_uniform_(self.rel_emb.weight)
        for conv in self.convs:
            conv.reset_parameters()

    def encode(self) -> Tensor:
        """Run the encoder over the whole training graph: ``[N, D]``."""
        x = self.node_emb.weight
        for i, conv in enumerate(self.convs):
            x = conv(x, self.mp_edge_index, self.mp_edge_type)
            if i < len(self.convs) - 1:
                x = F.dropout(F.relu(x), p=self.dropout, training=self.training)
        return x

    def begin_step(self) -> None:
        """Encode once per step; every lookup in the step reuses it."""
        self._cache = self.encode()

    def entities(self, idx: Tensor | None = None) -> Tensor:
        if self._cache is None:
            self.begin_step()
        return self._cache if idx is None else self._cache[idx]

    def train(self, mode: bool = True):
        self._cache = None
        return super().train(mode)

    def embedding_tensors(self, ent_idx, rel_idx):
        return [self.node_emb.weight[ent_idx], self.rel_emb.weight[rel_idx]]

