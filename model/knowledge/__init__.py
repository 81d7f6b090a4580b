"""Knowledge injection: entity tokens, alignment, projection, regularizer, joint KGE."""

from model.knowledge.alignment import Alignment, build_alignment, edges_from_iris
from model.knowledge.augmented import KnowledgeAugmentedClassifier, KnowledgeOptions
from model.knowledge.controls import CONTROLS, shuffle_kge_entities, shuffled_rows
from model.knowledge.entity_tokens import (
    TokenLinks,
    entity_of,
    entity_token,
    insert_entity_tokens,
    is_entity_token,
)
from model.knowledge.joint import JointKGELoss
from model.knowledge.projection import EntityProjection, orthogonal_matrix
from model.knowledge.regularizer import knowledge_penalty

__all__ = [
    "Alignment",
    "CONTROLS",
    "EntityProjection",
    "JointKGELoss",
    "KnowledgeAugmentedClassifier",
    "KnowledgeOptions",
    "TokenLinks",
    "build_alignment",
    "edges_from_iris",
    "entity_of",
    "entity_token",
    "insert_entity_tokens",
    "is_entity_token",
    "knowledge_penalty",
    "orthogonal_matrix",
    "shuffle_kge_entities",
    "shuffled_rows",
]
