DROP TABLE comment_blocks;
