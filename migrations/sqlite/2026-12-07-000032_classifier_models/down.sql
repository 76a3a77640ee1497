DROP TABLE classifier_models;
